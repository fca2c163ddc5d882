import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { Authenticator } from '../auth/authenticator.ts';
import { createApiKey } from '../auth/key-store.ts';
import { hasScope, SCOPES, type Scope } from '../auth/keys.ts';
import { silentLogger } from '../platform/log.ts';

interface Operation {
  method: string;
  path: string;
  /** undefined: any valid key */
  scope: Scope | undefined;
}

describe('scopes: what the OpenAPI document says each route needs is what the API enforces', () => {
  let api: TestApi;
  const keys = new Map<Scope, string>();
  let operations: Operation[];

  beforeAll(async () => {
    await migrateClickHouse((await testClickHouse()).client);
    api = await createTestApi();
    for (const scope of SCOPES) {
      keys.set(
        scope,
        (await createApiKey(api.sql, { name: `only-${scope}`, scopes: [scope], createdBy: 'test' })).key,
      );
    }
    const doc = (await api.call('GET', '/openapi.json', { key: null })).body as {
      paths: Record<string, Record<string, { security?: { bearer: string[] }[] }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.security)
        .map(([method, op]) => {
          const scopes = op.security!.flatMap((s) => s.bearer);
          expect(scopes.length).toBeLessThanOrEqual(1);
          return { method: method.toUpperCase(), path, scope: scopes[0] as Scope | undefined };
        }),
    );
  });
  afterAll(() => api.close());

  it('documents one scope for every API route (none for /me: any key), and telemetry is not readable with the services\u2019 prompts:read key', () => {
    expect(operations.length).toBeGreaterThan(20);
    const of = (path: string) => operations.filter((o) => o.path === path).map((o) => o.scope);
    expect(of('/api/v1/executions')).toEqual(['telemetry:read']);
    expect(of('/api/v1/analytics/summary')).toEqual(['telemetry:read']);
    expect(of('/api/v1/me')).toEqual([undefined]);
    // Templates are read with prompts:read, published and their labels moved with prompts:write (a CI pipeline's key);
    // the rest of /admin is admin.
    const adminScopes = operations
      .filter((o) => o.path.startsWith('/api/v1/admin/'))
      .map((o) => [o.path.split('/')[4], o.path.endsWith('archive') ? 'archive' : '', o.scope].join(' '));
    expect(new Set(adminScopes)).toEqual(
      new Set([
        'prompts  prompts:read',
        'prompts  prompts:write',
        'templates  prompts:read',
        'templates  prompts:write',
        'templates archive admin',
        'guardrails  admin',
        'keys  admin',
        'protected-labels  admin',
        'protected-labels  prompts:read',
        'audit  admin',
        'reprice  admin',
        'rollouts  admin',
      ]),
    );
  });

  it('answers 403 to a key without the documented scope, and lets the documented scope and admin through', async () => {
    for (const op of operations) {
      const url = op.path.replace(/\{[^}]+\}/g, 'x');
      const body = ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined;
      for (const scope of SCOPES) {
        const res = await api.call(op.method, url, { key: keys.get(scope)!, body });
        const allowed = op.scope === undefined || hasScope([scope], op.scope);
        expect({ op: `${op.method} ${op.path}`, scope, status: allowed ? 'through' : res.status }).toEqual({
          op: `${op.method} ${op.path}`,
          scope,
          status: allowed ? 'through' : 403,
        });
        if (allowed) expect([401, 403]).not.toContain(res.status);
      }
      expect((await api.call(op.method, url, { key: null })).status).toBe(401);
    }
  });

  it('keeps a bounded memory of key ids: 5,000 well-formed bogus keys do not grow the cache past its bound', async () => {
    const auth = new Authenticator({ sql: api.sql, log: silentLogger, maxUnknownKeys: 1_000 });
    for (let i = 0; i < 5_000; i++) {
      const id = i.toString(16).padStart(12, '0');
      await auth.authenticate(`Bearer psk_${id}_${'A'.repeat(43)}`, 'prompts:read').catch(() => {});
      expect(auth.cachedKeyIds).toBeLessThanOrEqual(1_000);
    }
    // A real key still works, and a bogus one repeated within the TTL is refused from memory.
    await expect(
      auth.authenticate(`Bearer ${keys.get('prompts:read')}`, 'prompts:read'),
    ).resolves.toMatchObject({
      scopes: ['prompts:read'],
    });
    await expect(
      auth.authenticate(`Bearer psk_${'f'.repeat(12)}_${'A'.repeat(43)}`, 'prompts:read'),
    ).rejects.toThrow('invalid API key');
  }, 120_000);
});
