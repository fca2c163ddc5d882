import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LlmTelemetry } from '#sdk';
import { loadPriceCatalog, type PriceCatalog } from '#sdk/pricing';
import type { RuleGroup } from '../../src/alerts/rules.ts';
import { createApp } from '../../src/api/app.ts';
import type { ApiDeps } from '../../src/api/context.ts';
import { ResolvedPromptCache } from '../../src/api/resolved-prompt-cache.ts';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { createApiKey } from '../../src/auth/key-store.ts';
import type { ModelAccess } from '../../src/config.ts';
import { silentLogger } from '../../src/platform/log.ts';
import { ChangeFeed } from '../../src/store/change-feed.ts';
import { type ClickHouseStore, openClickHouse } from '../../src/store/clickhouse.ts';
import type { Sql } from '../../src/store/postgres.ts';
import { createMigratedTestDatabase } from './databases.ts';

export interface TestApi {
  app: ReturnType<typeof createApp>;
  sql: Sql;
  databaseUrl: string;
  keys: { admin: string; reader: string; telemetry: string };
  /** fetch-like helper: JSON body in, status + parsed JSON out. */
  call(
    method: string,
    url: string,
    options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON responses
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

let clickhouse: ClickHouseStore | undefined;

const NO_MODELS: ModelAccess = {
  geminiApiKey: undefined,
  geminiBaseUrl: undefined,
  vertexProject: undefined,
  vertexLocation: 'us-central1',
};

/** Everything createApp needs, with test defaults; a second app on the same database is one call away. */
export function testAppDeps(
  sql: Sql,
  clickhouse: ClickHouseStore,
  overrides: Partial<ApiDeps> = {},
): ApiDeps {
  return {
    sql,
    clickhouse,
    config: { maxBodyBytes: 1024 * 1024, models: NO_MODELS },
    log: silentLogger,
    auth: new Authenticator({ sql, log: silentLogger }),
    promptCache: new ResolvedPromptCache(),
    postgresEmbedded: true,
    telemetry: new LlmTelemetry({ disabled: false }),
    prices: loadPriceCatalog(),
    ...overrides,
  };
}

/** An in-process ClickHouse for this test file's process (chDB allows one data dir per process). */
export async function testClickHouse(): Promise<ClickHouseStore> {
  if (!clickhouse) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-test-ch-'));
    clickhouse = await openClickHouse({
      clickhouseUrl: process.env.CLICKHOUSE_URL,
      database: `t_${process.pid}`,
      dataDir: dir,
    });
  }
  return clickhouse;
}

/** The real app on a fresh migrated database, with an admin key, a prompts:read key and a telemetry:read key. */
export async function createTestApi(
  options: {
    maxBodyBytes?: number;
    models?: ModelAccess;
    alertRules?: RuleGroup[];
    telemetry?: LlmTelemetry;
    prices?: PriceCatalog;
  } = {},
): Promise<TestApi> {
  const db = await createMigratedTestDatabase();
  const admin = await createApiKey(db.sql, { name: 'test-admin', scopes: ['admin'], createdBy: 'test' });
  const reader = await createApiKey(db.sql, {
    name: 'test-reader',
    scopes: ['prompts:read'],
    createdBy: 'test',
  });
  const telemetry = await createApiKey(db.sql, {
    name: 'test-telemetry',
    scopes: ['telemetry:read'],
    createdBy: 'test',
  });
  const changes = await ChangeFeed.start(db.sql, silentLogger);
  const app = createApp(
    testAppDeps(db.sql, await testClickHouse(), {
      changes,
      config: { maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024, models: options.models ?? NO_MODELS },
      alertRules: options.alertRules,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      ...(options.prices ? { prices: options.prices } : {}),
    }),
  );
  return {
    app,
    sql: db.sql,
    databaseUrl: db.url,
    keys: { admin: admin.key, reader: reader.key, telemetry: telemetry.key },
    async call(method, url, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const key = o.key === undefined ? admin.key : o.key;
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const res = await app.request(url, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await changes.close();
      await db.drop();
    },
  };
}

/** The test API served over real HTTP on a free loopback port (for clients that use fetch). */
export async function serveTestApi(api: TestApi): Promise<{ url: string; close: () => Promise<void> }> {
  const { createAdaptorServer } = await import('@hono/node-server');
  const server = createAdaptorServer({ fetch: api.app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      }),
  };
}
