import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, serveTestApi, type TestApi } from '../../../test/support/api.ts';
import { PromptRenderError, PromptUnavailableError } from './errors.ts';
import { PromptClient, type PromptClientEvent } from './prompt-client.ts';

describe('PromptClient against the real API', () => {
  let api: TestApi;
  let served: { url: string; close: () => Promise<void> };
  let clock = 0;
  const statuses: number[] = [];
  const countingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    statuses.push(res.status);
    return res;
  };
  const client = (overrides: Partial<ConstructorParameters<typeof PromptClient>[0]> = {}) =>
    new PromptClient({
      baseUrl: served.url,
      apiKey: api.keys.reader,
      now: () => clock,
      fetch: countingFetch,
      ...overrides,
    });
  const moveProduction = (version: string) =>
    api.call('PUT', '/api/v1/admin/templates/support/labels/production', { body: { version } });
  const settle = () => new Promise((r) => setTimeout(r, 50));

  beforeAll(async () => {
    api = await createTestApi();
    served = await serveTestApi(api);
    for (const [version, text] of [
      ['1.0.0', 'Help {{customer}} with: {{question}}'],
      ['2.0.0', 'Assist {{customer}}: {{question}}'],
    ]) {
      await api.call('POST', '/api/v1/admin/prompts', {
        body: {
          name: 'support',
          version,
          template_text: text,
          variables: ['customer', { name: 'question', type: 'string' }],
          is_active: version === '1.0.0',
          model_config: { provider: 'gcp.gemini', model_name: 'gemini-2.5-flash' },
        },
      });
    }
  });
  afterAll(async () => {
    await served.close();
    await api.close();
  });

  it('fetches by label, then serves from cache, rendering with the strict rules', async () => {
    const c = client();
    const first = await c.get('support');
    expect(first).toMatchObject({
      name: 'support',
      version: '1.0.0',
      label: 'production',
      source: 'network',
    });
    expect(first.render({ customer: 'Ada', question: 'refund?' })).toEqual({
      text: 'Help Ada with: refund?',
    });
    const before = statuses.length;
    expect((await c.get('support')).source).toBe('cache');
    expect(statuses.length).toBe(before);
    expect((await c.get('support', { version: '2.0.0' })).version).toBe('2.0.0');
  });

  it('refuses to render with a missing, unknown or wrongly typed variable, naming them', async () => {
    const p = await client().get('support');
    try {
      p.render({ customer: 'Ada', question: 42, extra: 'x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PromptRenderError);
      expect((error as PromptRenderError).unknown).toEqual(['extra']);
      expect((error as PromptRenderError).wrongType.map((w) => w.name)).toEqual(['question']);
    }
    expect(() => p.render({ question: 'q' })).toThrow(
      "cannot render 'support': missing required variable(s): customer",
    );
  });

  it('after the TTL serves stale at once, refreshes once in the background, and revalidates with the ETag (304)', async () => {
    const c = client({ cacheTtlSeconds: 60 });
    await c.get('support');
    clock += 61_000;
    statuses.length = 0;
    const [a, b] = await Promise.all([c.get('support'), c.get('support')]);
    expect([a.source, b.source]).toEqual(['cache', 'cache']);
    await settle();
    expect(statuses).toEqual([304]);
    clock += 1_000;
    await c.get('support');
    await settle();
    expect(statuses).toEqual([304]);
  });

  it('picks up a label move: the stale copy first, the new version once the refresh lands', async () => {
    const c = client();
    expect((await c.get('support')).version).toBe('1.0.0');
    await moveProduction('2.0.0');
    clock += 61_000;
    expect((await c.get('support')).version).toBe('1.0.0');
    await settle();
    expect((await c.get('support')).version).toBe('2.0.0');
    await moveProduction('1.0.0');
  });

  it('keeps serving the stale copy when a refresh fails', async () => {
    const events: PromptClientEvent[] = [];
    const ownServer = await serveTestApi(api);
    const c = client({ baseUrl: ownServer.url, retries: 0, onEvent: (e) => events.push(e) });
    await c.get('support');
    await ownServer.close();
    clock += 61_000;
    expect((await c.get('support')).version).toBe('1.0.0');
    await settle();
    expect(events[0]).toMatchObject({ type: 'refresh_failed', key: 'support|label:production' });
    expect((await c.get('support')).version).toBe('1.0.0');
  });

  it('evicts a cached copy whose label is gone (404) instead of serving it forever', async () => {
    const events: PromptClientEvent[] = [];
    await api.call('PUT', '/api/v1/admin/templates/support/labels/temp', { body: { version: '1.0.0' } });
    const c = client({ onEvent: (e) => events.push(e) });
    await c.get('support', { label: 'temp' });
    await api.call('DELETE', '/api/v1/admin/templates/support/labels/temp');
    clock += 61_000;
    expect((await c.get('support', { label: 'temp' })).version).toBe('1.0.0');
    await settle();
    expect(events).toContainEqual({
      type: 'evicted',
      key: 'support|label:temp',
      reason: 'gone from the API (404)',
    });
    await expect(c.get('support', { label: 'temp' })).rejects.toThrow(/HTTP 404/);
  });

  it('a hanging API costs one short timeout and one retry, then the fallback, which keeps the template name', async () => {
    const hanging = net.createServer(() => {});
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const port = (hanging.address() as net.AddressInfo).port;
    const events: PromptClientEvent[] = [];
    const c = new PromptClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: 'psk_x',
      timeoutMs: 100,
      retries: 1,
      onEvent: (e) => events.push(e),
    });
    const started = Date.now();
    const p = await c.get('support', { fallback: 'Help {{customer}}: {{question}}' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(p).toMatchObject({ name: 'support', source: 'fallback', version: undefined, label: 'production' });
    expect(p.render({ customer: 'Ada', question: 'hi' })).toEqual({ text: 'Help Ada: hi' });
    expect(events[0]).toMatchObject({ type: 'fallback', key: 'support|label:production' });
    await expect(c.get('support')).rejects.toBeInstanceOf(PromptUnavailableError);
    hanging.close();
  });

  it('bounds the cache, dropping the least recently used entry', async () => {
    const events: PromptClientEvent[] = [];
    const c = client({ maxEntries: 1, onEvent: (e) => events.push(e) });
    await c.get('support', { version: '1.0.0' });
    await c.get('support', { version: '2.0.0' });
    expect(events).toEqual([{ type: 'evicted', key: 'support|version:1.0.0', reason: 'cache full' }]);
  });

  describe('A/B split labels', () => {
    beforeAll(async () => {
      await api.call('PUT', '/api/v1/admin/templates/support/labels/ab', {
        body: {
          split: [
            { version: '1.0.0', weight: 90 },
            { version: '2.0.0', weight: 10 },
          ],
        },
      });
    });

    it('gives the same caller the same variant every time, and records which', async () => {
      const c = client();
      const first = await c.get('support', { label: 'ab', variantKey: 'user-42' });
      expect(first.variant).toBe(first.version);
      for (let i = 0; i < 20; i++)
        expect((await c.get('support', { label: 'ab', variantKey: 'user-42' })).version).toBe(first.version);
      expect(
        await new PromptClient({ baseUrl: served.url, apiKey: api.keys.reader }).get('support', {
          label: 'ab',
          variantKey: 'user-42',
        }),
      ).toMatchObject({
        version: first.version,
      });
    });

    it('splits callers by the configured weights', async () => {
      const c = client();
      let v2 = 0;
      const n = 10_000;
      for (let i = 0; i < n; i++)
        if ((await c.get('support', { label: 'ab', variantKey: `user-${i}` })).version === '2.0.0') v2++;
      expect(v2 / n).toBeGreaterThan(0.08);
      expect(v2 / n).toBeLessThan(0.12);
    });
  });
});
