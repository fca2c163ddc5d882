import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testAppDeps, testClickHouse } from '../../test/support/api.ts';
import { connectPostgres } from '../store/postgres.ts';
import { createApp } from './app.ts';

describe('health, readiness and the API description', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(() => api.close());

  it('GET /health answers healthy without a key', async () => {
    expect(await api.call('GET', '/health', { key: null })).toMatchObject({
      status: 200,
      body: { status: 'healthy' },
    });
  });

  it('GET /ready checks both stores', async () => {
    const res = await api.call('GET', '/ready', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ready',
      checks: { postgres: { status: 'up' }, clickhouse: { status: 'up' } },
    });
  });

  it('GET /ready answers 503 naming the store that is down', async () => {
    const deadSql = connectPostgres('postgres://nobody:x@127.0.0.1:1/none', 1);
    const app = createApp(testAppDeps(deadSql, await testClickHouse(), { postgresEmbedded: false }));
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    };
    expect(body.status).toBe('unavailable');
    expect(body.checks.postgres!.status).toBe('down');
    expect(body.checks.postgres!.error).toBeTruthy();
    expect(body.checks.clickhouse!.status).toBe('up');
    await deadSql.end({ timeout: 1 });
  });

  it('serves an OpenAPI 3.1 document generated from the routes, and a reference page', async () => {
    const doc = await api.call('GET', '/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/admin/prompts',
        '/api/v1/admin/prompts/{id}',
        '/api/v1/admin/prompts/test',
        '/api/v1/prompts/{name}',
        '/api/v1/admin/templates/{name}/labels/{label}',
        '/health',
        '/ready',
      ]),
    );
    expect(
      doc.body.paths['/api/v1/admin/prompts'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('template_text');
    const page = await api.app.request('/docs');
    expect(page.status).toBe(200);
    // The page itself renders /openapi.json (tested in a browser in test/dashboards-page.test.ts).
    expect(await page.text()).toContain('<script src="/assets/docs.js"></script>');
  });

  it('answers unknown routes with 404 in the one error shape', async () => {
    expect(await api.call('GET', '/api/v1/nothing-here')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
  });
});
