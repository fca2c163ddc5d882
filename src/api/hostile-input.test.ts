import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';

describe('the admin API refuses hostile parameters by name', () => {
  let api: TestApi;
  beforeAll(async () => {
    await migrateClickHouse((await testClickHouse()).client);
    api = await createTestApi();
  });
  afterAll(() => api.close());

  it.each([
    ['from', 'from=99999999999999999999'],
    ['from', 'from=9999-12-31T00:00:00Z'],
    ['to', 'to=9999-12-31T00:00:00Z'],
    ['from', 'from=-1'],
    ['from', 'from=yesterday'],
    ['from', 'from=1e3'],
    ['from', 'from=2026-02-30T00:00:00Z'],
    ['from', 'from=2025-02-29'],
    ['to', 'to=2026-04-31T10:00:00Z'],
    ['to', 'from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z'],
    ['offset', 'offset=1e30'],
    ['limit', 'limit=0'],
  ])('GET /api/v1/executions?%s … is a 422 naming %s', async (field, query) => {
    const res = await api.call('GET', `/api/v1/executions?${query}`);
    expect(res.status).toBe(422);
    const fields = (res.body.error.details.fields as { field: string }[]).map((f) => f.field);
    expect(fields.length).toBeGreaterThan(0);
    expect(new Set(fields)).toEqual(new Set([field]));
  });

  it.each([
    ['2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'],
    ['0', '9223372036854'],
    ['2262-04-11T23:47:16.854Z', '2262-04-11T23:47:16.854Z'],
    ['2024-02-29T00:00:00Z', '2024-03-01'],
  ])('accepts from=%s to=%s, the edges of what the span tables hold', async (from, to) => {
    const res = await api.call('GET', `/api/v1/executions?from=${from}&to=${to}`);
    expect(res.status).toBe(200);
  });

  it.each([
    ['/api/v1/executions?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z'],
    [`/api/v1/alerts/history?from=${Date.now()}&to=0`],
  ])('GET %s: a to before from is one rule everywhere, a 422 naming to', async (url) => {
    const res = await api.call('GET', url, { key: api.keys.telemetry });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual([{ field: 'to', message: 'must not be before from' }]);
  });

  it('an unknown group_by is named, cut to a readable length (a 7,000-character value is not echoed)', async () => {
    const res = await api.call('GET', `/api/v1/analytics/usage?group_by=${'x'.repeat(7000)}`, {
      key: api.keys.telemetry,
    });
    expect(res.status).toBe(422);
    const message = res.body.error.details.fields[0].message as string;
    expect(message).toContain(`'${'x'.repeat(40)}…'`);
    expect(message.length).toBeLessThan(200);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'refuses {{%s}} in a test render and in a published version (422), instead of rendering a prototype member',
    async (name) => {
      const test = await api.call('POST', '/api/v1/admin/prompts/test', {
        body: { template_text: `{{${name}}}`, variables: {} },
      });
      expect(test.status).toBe(422);
      expect(JSON.stringify(test.body)).toContain('is reserved');
      const publish = await api.call('POST', '/api/v1/admin/prompts', {
        body: { name: `proto-${name}`, template_text: `{{${name}}}`, variables: [name] },
      });
      expect(publish.status).toBe(422);
      expect(JSON.stringify(publish.body)).toContain('is reserved');
    },
  );

  it('treats a caller variable named __proto__ as data: an unknown variable, not a prototype', async () => {
    const created = await api.call('POST', '/api/v1/admin/prompts', {
      body: { name: 'proto-data', template_text: 'Hi {{who}}', variables: ['who'] },
    });
    expect(created.status).toBe(201);
    const res = await api.call('POST', '/api/v1/admin/prompts/test', {
      body: { prompt_id: created.body.id, variables: JSON.parse('{"who":"Ada","__proto__":{"who":"x"}}') },
    });
    expect(JSON.stringify(res.body)).not.toContain('[object Object]');
    expect([200, 422]).toContain(res.status);
    if (res.status === 200) expect(JSON.stringify(res.body)).toContain('Hi Ada');
  });
});
