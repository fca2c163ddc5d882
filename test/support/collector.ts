import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Attributes, type Link, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  type IdGenerator,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { loadPriceCatalog } from '#sdk/pricing';
import { type CollectorOptions, type RunningCollector, startCollector } from '../../collector/collector.ts';
import { otelTracesInsert } from '../../collector/exporter/clickhouse/otel-traces-insert.ts';
import { Spool } from '../../collector/queue/spool.ts';
import { toRows } from '../../collector/receiver/otlp/spans-to-rows.ts';
import { compactRow } from '../../collector/span-row.ts';
import { recordBudgetStatus } from '../../src/alerts/budget-status.ts';
import { budgetStateAt, budgetsOf } from '../../src/alerts/budgets.ts';
import { parseRuleFile } from '../../src/alerts/rules.ts';
import { createLogger, silentLogger } from '../../src/platform/log.ts';
import type { ClickHouseClient, ClickHouseStore } from '../../src/store/clickhouse.ts';
import { createUnlockedClickHouseMigrator } from '../../src/store/migrate.ts';
import { testClickHouse } from './api.ts';

/** Applies our ClickHouse migrations (one process, so no lock is needed). */
export async function migrateClickHouse(client: ClickHouseClient): Promise<void> {
  await (await createUnlockedClickHouseMigrator(client, silentLogger)).up();
}

/** A collector on a free port with its own spool folder. */
export async function testCollector(
  client: ClickHouseClient,
  options: Partial<CollectorOptions> = {},
): Promise<RunningCollector & { dataDir: string }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-collector-'));
  const running = await startCollector({
    clickhouse: client,
    catalog: loadPriceCatalog(),
    log: process.env.DEBUG_COLLECTOR ? createLogger('debug') : silentLogger,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    flushIntervalMs: 50,
    ...options,
  });
  return { ...running, dataDir };
}

/** The test ClickHouse, migrated, and a collector on it that inserts through the ClickHouse client. */
export async function collectorOnTestClickHouse(options: Partial<CollectorOptions> = {}): Promise<{
  store: ClickHouseStore;
  client: ClickHouseClient;
  collector: RunningCollector & { dataDir: string };
}> {
  const store = await testClickHouse();
  await migrateClickHouse(store.client);
  return { store, client: store.client, collector: await testCollector(store.client, options) };
}

/**
 * The test ClickHouse, migrated, and a collector on it that inserts as in production: chDB's raw insert on a
 * worker thread when the engine is embedded.
 */
export async function productionLikeCollector(
  options: Partial<CollectorOptions> = {},
): Promise<{ store: ClickHouseStore; collector: RunningCollector & { dataDir: string } }> {
  const store = await testClickHouse();
  await migrateClickHouse(store.client);
  const collector = await testCollector(store.client, {
    embeddedClickHouse: store.embedded ? { location: store.location, database: store.database } : undefined,
    ...options,
  });
  return { store, collector };
}

export type Protocol = 'protobuf' | 'json';

/** The real OTLP/HTTP exporter of the given encoding, optionally gzipping, with any headers (a key). */
export function otlpExporter(
  url: string,
  protocol: Protocol,
  gzip: boolean,
  headers?: Record<string, string>,
) {
  const config = { url: `${url}/v1/traces`, compression: (gzip ? 'gzip' : 'none') as never, headers };
  return protocol === 'json' ? new JsonExporter(config) : new ProtoExporter(config);
}

/** Exports finished spans with a real exporter and resolves with the export result code (0 = success). */
export function exportSpans(
  exporter: ReturnType<typeof otlpExporter>,
  spans: ReadableSpan[],
): Promise<number> {
  return new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code)));
}

/** Spans made by a real tracer with fixed ids (from `firstSpanId` on), so rows can be compared with a golden fixture. */
export function spanFactory(service = 'checkout', firstSpanId = 0) {
  let n = firstSpanId;
  const ids: IdGenerator = {
    generateTraceId: () => `0af7651916cd43dd8448eb211c80319${(n % 10).toString()}`,
    generateSpanId: () => (++n).toString(16).padStart(16, '0'),
  };
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    idGenerator: ids,
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('golden-scope', '1.2.3');
  return {
    async span(o: {
      name: string;
      attributes?: Attributes;
      startMs: number;
      durationMs: number;
      kind?: SpanKind;
      error?: string;
      events?: { name: string; attributes?: Attributes; atMs: number }[];
      links?: Link[];
    }): Promise<ReadableSpan> {
      const span = tracer.startSpan(o.name, {
        kind: o.kind ?? SpanKind.CLIENT,
        attributes: o.attributes,
        startTime: o.startMs,
        links: o.links,
      });
      for (const e of o.events ?? []) span.addEvent(e.name, e.attributes, e.atMs);
      if (o.error) span.setStatus({ code: SpanStatusCode.ERROR, message: o.error });
      span.end(o.startMs + o.durationMs);
      await provider.forceFlush();
      const done = memory.getFinishedSpans();
      memory.reset();
      return done[done.length - 1]!;
    },
  };
}

/** Spans of one service with random ids (the golden span factory restarts its ids, which the collector dedups). */
export function serviceSpans(service: string) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('test');
  return (attributes: Attributes): ReadableSpan => {
    tracer.startSpan('call', { kind: SpanKind.CLIENT, attributes }).end();
    return memory.getFinishedSpans().at(-1)!;
  };
}

/** Polls until fn returns a truthy value (bounded), for data that lands asynchronously. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const rs = await client.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  return rs.json<T>();
}

/** Dates finished spans one second apart from `startMs` (each lasting a second), in the order given. */
export function placeOneSecondApart(spans: ReadableSpan[], startMs: number): ReadableSpan[] {
  for (const [i, s] of spans.entries())
    Object.assign(s, {
      startTime: [Math.floor(startMs / 1000) + i, 0],
      endTime: [Math.floor(startMs / 1000) + i + 1, 0],
    });
  return spans;
}

/** Exports LLM spans with the real OTLP exporter and waits until `llm_calls` holds `expected` rows matching `where`. */
export async function sendCalls(
  collectorUrl: string,
  client: ClickHouseClient,
  spans: ReadableSpan[],
  where: string,
  expected: number,
  protocol: Protocol = 'protobuf',
): Promise<void> {
  const code = await exportSpans(otlpExporter(collectorUrl, protocol, false), spans);
  if (code !== 0) throw new Error(`the collector refused the export (result code ${code})`);
  await eventually(
    async () =>
      (await rows<{ n: string }>(client, `SELECT toString(count()) AS n FROM llm_calls WHERE ${where}`))[0]
        ?.n === String(expected),
    `${expected} calls to land in llm_calls (${where})`,
  );
}

export async function countSpans(client: ClickHouseClient): Promise<number> {
  const [r] = await rows<{ n: string }>(client, 'SELECT count() AS n FROM otel_traces');
  return Number(r?.n ?? 0);
}

/**
 * Stores a span already in otel_traces once more, past our collector's duplicate check, the way a second collector
 * instance would (its own insert token): the same ids, times and span attributes (but those in `changed`), a resource
 * of `service.name` only.
 */
export async function storeAgainFromAnotherCollector(
  client: ClickHouseClient,
  spanId: string,
  service: string,
  changed: Record<string, string> = {},
): Promise<void> {
  const [stored] = await rows<{
    TraceId: string;
    SpanName: string;
    start: string;
    end: string;
    SpanAttributes: Record<string, string>;
  }>(
    client,
    `SELECT TraceId, SpanName, toString(toUnixTimestamp64Nano(Timestamp)) AS start,
       toString(toUnixTimestamp64Nano(Timestamp) + Duration) AS end, SpanAttributes
     FROM otel_traces WHERE SpanId = '${spanId}' LIMIT 1`,
  );
  if (!stored) throw new Error(`no span ${spanId} in otel_traces`);
  const { rows: again } = toRows({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: stored.TraceId,
                spanId,
                name: stored.SpanName,
                startTimeUnixNano: stored.start,
                endTimeUnixNano: stored.end,
                attributes: Object.entries({ ...stored.SpanAttributes, ...changed }).map(([key, v]) => ({
                  key,
                  value: { stringValue: v },
                })),
              },
            ],
          },
        ],
      },
    ],
  });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-again-'));
  const spool = new Spool({ dir });
  try {
    await spool.append(again.map(compactRow));
    // A collector of its own each time: the same insert token twice would be deduplicated by ClickHouse.
    await otelTracesInsert(client, `another-collector-${randomUUID()}`)((await spool.read(1 << 20))!);
  } finally {
    await spool.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A month's budget over one service, its state recorded in budget_status as the scheduler records it. */
export async function recordServiceBudget(client: ClickHouseClient, service: string): Promise<void> {
  const parsed = parseRuleFile(
    'b.yaml',
    `budgets:\n  - { name: ${service}, amount: 10, period: month, where: { service: ${service} } }\n`,
  );
  if (!('groups' in parsed)) throw new Error(JSON.stringify(parsed.problems));
  const [budget] = budgetsOf(parsed.groups);
  await recordBudgetStatus(client, await budgetStateAt(client, budget!, Date.now()), Date.now());
}
