import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry } from '#sdk';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { issueKey, revokeKey } from '../../src/auth/key-lifecycle.ts';
import { otlpAuthorizer } from '../../src/auth/otlp-authorizer.ts';
import { silentLogger } from '../../src/platform/log.ts';
import type { ClickHouseClient } from '../../src/store/clickhouse.ts';
import type { Sql } from '../../src/store/postgres.ts';
import {
  eventually,
  exportSpans,
  otlpExporter,
  productionLikeCollector,
  rows,
  serviceSpans,
} from '../../test/support/collector.ts';
import { createMigratedTestDatabase } from '../../test/support/databases.ts';
import type { RunningCollector } from '../collector.ts';
import { RpcStatus } from './otlp/trace-proto.ts';

const body = (service: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: Math.floor(Math.random() * 2 ** 52)
                  .toString(16)
                  .padStart(16, '1'),
                name: 'op',
                startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n + 1000n),
              },
            ],
          },
        ],
      },
    ],
  });

const stored = async (client: ClickHouseClient, service: string) =>
  Number(
    (
      await rows<{ n: string }>(
        client,
        `SELECT toString(count()) AS n FROM otel_traces WHERE ServiceName = '${service}'`,
      )
    )[0]?.n,
  );

describe('the OTLP receiver with keys required (PROMPTSCOPE_OTLP_AUTH)', () => {
  let db: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  let sql: Sql;
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let auth: Authenticator;
  const keys: Record<'write' | 'admin' | 'read' | 'telemetryRead', string> = {
    write: '',
    admin: '',
    read: '',
    telemetryRead: '',
  };

  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    sql = db.sql;
    keys.write = (await issueKey(sql, { name: 'checkout', scopes: ['telemetry:write'], actor: 'test' })).key;
    keys.admin = (await issueKey(sql, { name: 'ops', scopes: ['admin'], actor: 'test' })).key;
    keys.read = (await issueKey(sql, { name: 'reader', scopes: ['prompts:read'], actor: 'test' })).key;
    keys.telemetryRead = (
      await issueKey(sql, { name: 'grafana', scopes: ['telemetry:read'], actor: 'test' })
    ).key;
    auth = new Authenticator({ sql, log: silentLogger });
    const started = await productionLikeCollector({ authorize: otlpAuthorizer(auth) });
    client = started.store.client;
    collector = started.collector;
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.drop();
  });

  const post = (authorization: string | undefined, contentType: string, payload: string | Buffer) =>
    fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
      body: payload,
    });

  it.each([
    ['no Authorization header', () => undefined, 401, 16, 'missing Authorization header'],
    ['a header that is not Bearer', () => 'Basic dXNlcjpwYXNz', 401, 16, 'must be "Bearer <api key>"'],
    ['a malformed key', () => 'Bearer psk_nope', 401, 16, 'malformed API key'],
    ['an unknown key', () => `Bearer psk_000000000000_${'a'.repeat(43)}`, 401, 16, 'invalid API key'],
    ['a prompts:read key', () => `Bearer ${keys.read}`, 403, 7, "needs a 'telemetry:write' key"],
    [
      'a telemetry:read key',
      () => `Bearer ${keys.telemetryRead}`,
      403,
      7,
      "lacks the 'telemetry:write' scope",
    ],
  ])(
    'refuses %s: %i with google.rpc.Code %i in an OTLP Status, before reading the body',
    async (_, header, status, code, message) => {
      const service = `refused-${status}-${code}`;
      const json = await post(header(), 'application/json', body(service));
      expect(json.status).toBe(status);
      expect(json.headers.get('content-type')).toBe('application/json');
      if (status === 401) expect(json.headers.get('www-authenticate')).toBe('Bearer realm="promptscope"');
      const status1 = (await json.json()) as { code: number; message: string };
      expect(status1.code).toBe(code);
      expect(status1.message).toContain(message);
      const proto = await post(header(), 'application/x-protobuf', Buffer.alloc(0));
      expect(proto.status).toBe(status);
      const decoded = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await proto.arrayBuffer()))) as {
        code: number;
      };
      expect(decoded.code).toBe(code);
      expect(await stored(client, service)).toBe(0);
    },
  );

  it.each([
    ['telemetry:write', 'write'],
    ['admin', 'admin'],
  ] as const)(
    'stores spans sent with a %s key by the real OTLP exporters (protobuf and JSON)',
    async (_, which) => {
      const service = `writer-${which}`;
      const spanOf = serviceSpans(service);
      for (const protocol of ['protobuf', 'json'] as const) {
        const withKey = otlpExporter(collector.url, protocol, false, {
          Authorization: `Bearer ${keys[which]}`,
        });
        expect(await exportSpans(withKey, [spanOf({ 'test.protocol': protocol })])).toBe(0);
      }
      await eventually(async () => (await stored(client, service)) === 2, `both ${which} spans`);
    },
  );

  it('the sdk sends the key from OTEL_EXPORTER_OTLP_HEADERS, as every OTel SDK does', async () => {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer%20${keys.write}`;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    try {
      const otel = startTelemetry({ serviceName: 'sdk-with-key' });
      const { trace } = await import('@opentelemetry/api');
      trace.getTracer('t').startSpan('chat gemini-2.5-flash').end();
      await otel.shutdown();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
    await eventually(async () => (await stored(client, 'sdk-with-key')) === 1, 'the sdk’s span');
  });

  it('refuses a key once it is revoked (the cache forgets it on the change feed or within its 5 s)', async () => {
    const { key, record } = await issueKey(sql, {
      name: 'leaked',
      scopes: ['telemetry:write'],
      actor: 'test',
    });
    expect((await post(`Bearer ${key}`, 'application/json', body('leaked'))).status).toBe(200);
    await revokeKey(sql, record.id, 'test');
    auth.invalidate(record.id); // what the ChangeFeed does on every instance
    const refused = await post(`Bearer ${key}`, 'application/json', body('leaked'));
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toContain('revoked');
  });
});
