import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { createApiKey } from '../auth/key-store.ts';

const publish = (name: string, text: string, extra: Record<string, unknown> = {}) => ({
  name,
  template_text: text,
  commit_message: `publish ${text}`,
  ...extra,
});

describe('protected labels: a CI key publishes and moves labels, only a promote key moves a protected one', () => {
  let api: TestApi;
  let writer: string;
  let promoter: string;

  beforeAll(async () => {
    await migrateClickHouse((await testClickHouse()).client);
    api = await createTestApi();
    writer = (await createApiKey(api.sql, { name: 'ci', scopes: ['prompts:write'], createdBy: 'test' })).key;
    promoter = (
      await createApiKey(api.sql, { name: 'release', scopes: ['prompts:promote'], createdBy: 'test' })
    ).key;
    expect(
      (await api.call('POST', '/api/v1/admin/prompts', { key: writer, body: publish('greet', 'Hello v1') }))
        .status,
    ).toBe(201);
    expect(
      (await api.call('PUT', '/api/v1/admin/protected-labels/production', { key: api.keys.admin })).status,
    ).toBe(200);
  });
  afterAll(() => api.close());

  it('lists what an admin protected, with who and when', async () => {
    const res = await api.call('GET', '/api/v1/admin/protected-labels', { key: api.keys.admin });
    expect(res.body.labels).toEqual([
      {
        label: 'production',
        protected_by: expect.stringContaining('test-admin'),
        protected_at: expect.any(String),
      },
    ]);
  });

  it.each([
    [
      'publishing onto it',
      'POST',
      '/api/v1/admin/prompts',
      publish('greet', 'Hello v2', { labels: ['production'] }),
    ],
    [
      'publishing it active',
      'POST',
      '/api/v1/admin/prompts',
      publish('greet', 'Hello v2', { is_active: true }),
    ],
    ['moving it', 'PUT', '/api/v1/admin/templates/greet/labels/production', { version: '1' }],
    ['removing it', 'DELETE', '/api/v1/admin/templates/greet/labels/production', undefined],
  ])(
    'refuses a prompts:write key %s: 403 naming the label and the scope that would do',
    async (_what, method, url, body) => {
      const res = await api.call(method, url, { key: writer, body });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        "label 'production' is protected: moving it needs a key with the prompts:promote scope (or admin)",
      );
      expect(res.body.error.details.fields).toEqual([
        { field: 'label', message: "'production' is protected" },
      ]);
    },
  );

  it('published nothing when it refused: the version count is unchanged', async () => {
    const res = await api.call('GET', '/api/v1/admin/templates/greet/versions', { key: writer });
    expect(res.body.versions.map((v: { version: string }) => v.version)).toEqual(['1']);
  });

  it('lets a prompts:write key move the labels that are not protected', async () => {
    const res = await api.call('PUT', '/api/v1/admin/templates/greet/labels/staging', {
      key: writer,
      body: { version: '1' },
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['prompts:promote', () => promoter],
    ['admin', () => api.keys.admin],
  ])('lets a %s key move the protected label', async (_scope, key) => {
    const res = await api.call('PUT', '/api/v1/admin/templates/greet/labels/production', {
      key: key(),
      body: { version: '1', reason: 'release' },
    });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe('1');
  });

  it('refuses to protect latest (it moves by itself) and says which label was not protected on removal', async () => {
    const latest = await api.call('PUT', '/api/v1/admin/protected-labels/latest', { key: api.keys.admin });
    expect(latest.status).toBe(422);
    expect(latest.body.error.message).toContain("'latest' moves by itself");
    const missing = await api.call('DELETE', '/api/v1/admin/protected-labels/canary', {
      key: api.keys.admin,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("protected label 'canary' not found");
  });

  it('keeps protecting labels to admin keys: a promote key may not change the list', async () => {
    const res = await api.call('PUT', '/api/v1/admin/protected-labels/staging', { key: promoter });
    expect(res.status).toBe(403);
  });

  it('once unprotected, a prompts:write key moves it again; both changes are in the audit log', async () => {
    expect(
      (await api.call('DELETE', '/api/v1/admin/protected-labels/production', { key: api.keys.admin })).status,
    ).toBe(204);
    const moved = await api.call('POST', '/api/v1/admin/prompts', {
      key: writer,
      body: publish('greet', 'Hello v2', { labels: ['production'] }),
    });
    expect(moved.status).toBe(201);
    const audit = await api.call('GET', '/api/v1/admin/audit?resource_type=label', { key: api.keys.admin });
    expect(
      audit.body.entries.map((e: { action: string; resource_id: string }) => [e.action, e.resource_id]),
    ).toEqual([
      ['label.unprotect', 'production'],
      ['label.protect', 'production'],
    ]);
  });
});
