import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testAppDeps } from '../../test/support/api.ts';
import { silentLogger } from '../platform/log.ts';
import { ChangeFeed } from '../store/change-feed.ts';
import { createApp } from './app.ts';
import { ResolvedPromptCache } from './resolved-prompt-cache.ts';

describe('services read path GET /api/v1/prompts/{name}', () => {
  let api: TestApi;
  const read = (query = '', headers: Record<string, string> = {}) =>
    api.call('GET', `/api/v1/prompts/faq${query}`, { key: api.keys.reader, headers });

  beforeAll(async () => {
    api = await createTestApi();
    await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name: 'faq',
        version: '1.0.0',
        template_text: 'Q: {{q}}',
        variables: ['q'],
        is_active: true,
        guardrails: [{ type: 'pii', name: 'pii', action: 'redact' }],
      },
    });
    await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name: 'faq',
        version: '1.1.0',
        template_text: 'Question: {{q}}',
        variables: ['q'],
        labels: ['staging'],
      },
    });
  });
  afterAll(() => api.close());

  it('serves the production version by default, a label or an exact version on request', async () => {
    const prod = await read();
    expect(prod.status).toBe(200);
    expect(prod.body).toMatchObject({
      name: 'faq',
      version: '1.0.0',
      template_text: 'Q: {{q}}',
      resolved_by: { label: 'production' },
    });
    expect(prod.body.guardrails).toEqual([
      {
        type: 'pii',
        name: 'pii',
        action: 'redact',
        applies_to: 'input',
        kinds: ['email', 'phone', 'card_number'],
        scope: 'template',
      },
    ]);
    expect((await read('?label=staging')).body.version).toBe('1.1.0');
    expect((await read('?version=1.1.0')).body.version).toBe('1.1.0');
    expect((await read('?label=latest')).body.version).toBe('1.1.0');
  });

  it('answers 304 to a matching If-None-Match and a new ETag once the label moves', async () => {
    const first = await read();
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await read('', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();

    await api.call('PUT', '/api/v1/admin/templates/faq/labels/production', { body: { version: '1.1.0' } });
    const moved = await read('', { 'if-none-match': etag });
    expect(moved.status).toBe(200);
    expect(moved.body.version).toBe('1.1.0');
    expect(moved.headers.get('etag')).not.toBe(etag);
  });

  it('answers 404 for an unknown template, label or version, and 422 for label and version together', async () => {
    expect((await api.call('GET', '/api/v1/prompts/nope', { key: api.keys.reader })).body.error.message).toBe(
      "template 'nope' not found",
    );
    expect((await read('?label=gone')).body.error.message).toBe("label 'gone' of template 'faq' not found");
    expect((await read('?version=9.9.9')).status).toBe(404);
    expect((await read('?label=production&version=1.0.0')).status).toBe(422);
  });

  it('another instance serving from memory drops its copy when a label moves elsewhere', async () => {
    const cache = new ResolvedPromptCache();
    const feed = await ChangeFeed.start(api.sql, silentLogger);
    const other = createApp(testAppDeps(api.sql, undefined as never, { promptCache: cache, changes: feed }));
    const get = async () =>
      (await (
        await other.request('/api/v1/prompts/faq', {
          headers: { authorization: `Bearer ${api.keys.reader}` },
        })
      ).json()) as { version: string };
    const before = (await get()).version;
    const target = before === '1.0.0' ? '1.1.0' : '1.0.0';
    await api.call('PUT', '/api/v1/admin/templates/faq/labels/production', { body: { version: target } });
    await feed.caughtUp();
    expect((await get()).version).toBe(target);
    await feed.close();
  });
});
