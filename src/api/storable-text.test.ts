import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';

/** A body whose text holds `bad` where the case says: JSON escapes, as a client would send them. */
const json = (value: unknown, bad: string) => JSON.stringify(value).replaceAll('@BAD@', bad);

const NUL = '\\u0000';
const LONE = '\\ud800';

describe('text Postgres cannot store is a 422 naming the field, on every route', () => {
  let api: TestApi;
  beforeAll(async () => {
    await migrateClickHouse((await testClickHouse()).client);
    api = await createTestApi();
    const published = await api.call('POST', '/api/v1/admin/prompts', {
      body: { name: 'greet', version: '1.0.0', template_text: 'Hi {{name}}', variables: ['name'] },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
  });
  afterAll(() => api.close());

  const silence = { matchers: ['template=@BAD@x'], duration: '1h', comment: 'deploy' };
  it.each([
    ['POST', '/api/v1/alerts/silences', silence, 'matchers[0]'],
    ['POST', '/api/v1/alerts/silences', { ...silence, matchers: ['a=b'], comment: 'x@BAD@' }, 'comment'],
    [
      'POST',
      '/api/v1/admin/prompts',
      { name: 'greet', version: '2.0.0', template_text: 'Hi @BAD@{{name}}', variables: ['name'] },
      'template_text',
    ],
    [
      'POST',
      '/api/v1/admin/prompts',
      { name: 'greet', version: '3.0.0', template_text: 'Hi', variables: [], commit_message: '@BAD@' },
      'commit_message',
    ],
    ['POST', '/api/v1/admin/keys', { name: 'svc@BAD@', scopes: ['prompts:read'] }, 'name'],
    [
      'PUT',
      '/api/v1/admin/templates/greet/labels/production',
      { version: '1.0.0', reason: 'go@BAD@' },
      'reason',
    ],
    [
      'POST',
      '/api/v1/admin/prompts/test',
      { template_text: 'x', variables: { 'a@BAD@': '1' } },
      'variables.a\u0000',
    ],
  ])('%s %s with a NUL or a lone surrogate in %j: 422 naming %s', async (method, url, body, field) => {
    for (const bad of [NUL, LONE]) {
      const res = await api.call(method, url, { body: json(body, bad) });
      expect(res.status, `${bad} in ${field}`).toBe(422);
      const fields = (res.body.error.details.fields as { field: string; message: string }[]).map(
        (f) => f.field,
      );
      expect(fields).toEqual([bad === NUL ? field : field.replace('\u0000', '\ud800')]);
    }
  });

  it.each([
    ['/api/v1/alerts/history?rule=%00', 'rule', 'telemetry'],
    ['/api/v1/executions?template=a%00', 'template', 'telemetry'],
    ['/api/v1/analytics/usage?template=%00', 'template', 'telemetry'],
    ['/api/v1/prompts/gr%00eet', 'path', 'reader'],
    ['/api/v1/admin/templates/gr%00eet', 'path', 'admin'],
  ] as const)('GET %s: 422 naming %s', async (url, field, key) => {
    const res = await api.call('GET', url, { key: api.keys[key] });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([field]);
  });

  it('a request without a key is refused for the key first (nothing is read for strangers)', async () => {
    const res = await api.call('GET', '/api/v1/alerts/history?rule=%00', { key: '' });
    expect(res.status).toBe(401);
  });

  it('property: a bad character anywhere in a template version is a 422, never a 500, and nothing is stored', async () => {
    const text = fc.string({ maxLength: 20 });
    const withBad = fc
      .tuple(text, fc.constantFrom('\u0000', '\ud800', '\udfff'), text)
      .map(([a, b, c]) => a + b + c);
    let version = 100;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('template_text', 'commit_message', 'description'),
        withBad,
        async (field, value) => {
          const body: Record<string, unknown> = {
            name: 'fuzzed',
            version: `${version++}.0.0`,
            template_text: 'plain',
            variables: [],
          };
          body[field] = value;
          const res = await api.call('POST', '/api/v1/admin/prompts', { body });
          expect(res.status).toBe(422);
        },
      ),
      { numRuns: 60 },
    );
    const [row] =
      await api.sql`select count(*)::int as n from template_versions v join templates t on t.id = v.template_id where t.name = 'fuzzed'`;
    expect(row!.n).toBe(0);
  });
});
