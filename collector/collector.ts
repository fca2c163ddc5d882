import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PriceCatalog } from '#sdk/pricing';
import { listen, urlHost } from '../src/platform/listen.ts';
import type { Logger } from '../src/platform/log.ts';
import type { Registry } from '../src/platform/metrics.ts';
import { withDefaults } from '../src/platform/with-defaults.ts';
import { chdbInsertOnWorker } from './exporter/clickhouse/chdb-insert.ts';
import { ClickHouseExporter } from './exporter/clickhouse/exporter.ts';
import { otelTracesInsert } from './exporter/clickhouse/otel-traces-insert.ts';
import { costEnrichment } from './processor/cost-enrichment.ts';
import { SpanPipeline } from './processor/pipeline.ts';
import { Spool, type SpoolBatch } from './queue/spool.ts';
import { ByteBudget } from './receiver/byte-budget.ts';
import { createReceiver, type OtlpAuthorizer } from './receiver/otlp-http.ts';
import { RecentSpans, rememberSpooled } from './receiver/recent-spans.ts';
import { answerClientError } from './receiver/responses.ts';
import { selfTelemetry } from './telemetry/endpoints.ts';
import { CollectorMetrics } from './telemetry/metrics.ts';

export interface CollectorOptions {
  clickhouse: ClickHouseClient;
  /** When ClickHouse is the in-process engine: its folder and database, so inserts can run on a worker thread. */
  embeddedClickHouse?: { location: string; database: string };
  catalog: PriceCatalog;
  log: Logger;
  /** Holds the spool (`<dataDir>/spool`). */
  dataDir: string;
  host: string;
  port: number;
  maxBodyBytes?: number;
  maxSpoolBytes?: number;
  maxInFlightBytes?: number;
  /** A request whose headers are not all in by then is answered 503 + Retry-After (Node's headersTimeout). */
  headersTimeoutMs?: number;
  /** A request body that sends nothing for this long is answered 503 + Retry-After. */
  bodyIdleTimeoutMs?: number;
  /** A whole request (headers and body) must arrive within this (Node's requestTimeout; 503 after). */
  requestTimeoutMs?: number;
  /** Checks each request's key before its body is read; none = anyone who reaches the port may write. */
  authorize?: OtlpAuthorizer;
  retryAfterSeconds?: number;
  batchBytes?: number;
  flushIntervalMs?: number;
  /** How many recently accepted span ids are remembered to drop client retries. */
  recentSpanIds?: number;
  /** More registries for /metrics from the same process (the scheduler's, in `promptscope start`). */
  extraRegistries?: () => Registry[];
  /** Replaces the ClickHouse insert (fault-injection tests only). */
  insert?: (batch: SpoolBatch) => Promise<void>;
}

export interface RunningCollector {
  url: string;
  port: number;
  metrics: CollectorMetrics;
  spool: Spool;
  stop(): Promise<void>;
}

const DEFAULTS = {
  maxBodyBytes: 20 * 1024 * 1024,
  maxSpoolBytes: 1024 * 1024 * 1024,
  maxInFlightBytes: 64 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  bodyIdleTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  retryAfterSeconds: 5,
  recentSpanIds: 200_000,
};

/**
 * The collector role, shaped as the OpenTelemetry Collector's pipeline: the OTLP/HTTP receiver → processors (cost
 * enrichment) → the queue (an fsynced spool) → the ClickHouse exporter (batched, deduplicated inserts), with its own
 * /metrics and /health beside.
 */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const o = withDefaults(DEFAULTS, options);
  const spoolDir = path.join(o.dataDir, 'spool');
  const metrics = new CollectorMetrics();
  const spool = new Spool({ dir: spoolDir, onFsync: (seconds) => metrics.fsyncDuration.observe(seconds) });
  const id = instanceId(spoolDir);
  const onWorker =
    !o.insert && o.embeddedClickHouse
      ? await chdbInsertOnWorker(o.embeddedClickHouse.location, o.embeddedClickHouse.database, id)
      : undefined;
  const exporter = new ClickHouseExporter({
    spool,
    insert: o.insert ?? onWorker ?? otelTracesInsert(o.clickhouse, id),
    metrics,
    log: o.log,
    deadLetterDir: path.join(spoolDir, 'dead-letter'),
    batchBytes: o.batchBytes,
    flushIntervalMs: o.flushIntervalMs,
  });
  const recent = new RecentSpans(o.recentSpanIds);
  const remembered = rememberSpooled(recent, spool.retainedRecords());
  if (remembered > 0) o.log.debug('remembered span ids from the spool', { remembered });
  const budget = new ByteBudget(o.maxInFlightBytes);
  metrics.readGaugesFrom(() => {
    const oldest = spool.oldestUnsentAt;
    return {
      spoolBytes: spool.unsentBytes,
      spoolOldestAgeSeconds: oldest === undefined ? 0 : (Date.now() - oldest) / 1000,
      inFlightBytes: budget.used,
      inFlightBytesPeak: budget.peak,
    };
  });
  const telemetry = selfTelemetry({
    registries: () => [metrics.registry, ...(o.extraRegistries?.() ?? [])],
  });
  const receiver = createReceiver({
    spool,
    metrics,
    log: o.log,
    pipeline: new SpanPipeline([
      costEnrichment(o.catalog, () => {
        metrics.genAiSpansUnclassified++;
      }),
    ]),
    maxBodyBytes: o.maxBodyBytes,
    maxSpoolBytes: o.maxSpoolBytes,
    budget,
    bodyIdleTimeoutMs: o.bodyIdleTimeoutMs,
    retryAfterSeconds: o.retryAfterSeconds,
    recent,
    authorize: o.authorize,
    // The exporter decides whether a batch is due (its own size and interval); a poke only makes it look now.
    onAccepted: () => exporter.poke(),
  });
  const server = http.createServer(
    // Node checks headersTimeout and requestTimeout on this interval (30 s by default).
    { connectionsCheckingInterval: Math.min(1_000, o.headersTimeoutMs, o.requestTimeoutMs) },
    (req, res) => {
      if (!telemetry(req, res)) receiver(req, res);
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket) =>
    answerClientError(error, socket, metrics),
  );
  server.keepAliveTimeout = 65_000;
  // Node's own defaults (60 s for headers, 300 s for a request) let slow clients hold connections for minutes.
  server.headersTimeout = Math.min(o.headersTimeoutMs, o.requestTimeoutMs); // Node requires headers ≤ request
  server.requestTimeout = o.requestTimeoutMs;
  await listen(server, o.port, o.host, 'PROMPTSCOPE_OTLP_PORT');
  exporter.start();
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(o.host)}:${port}`,
    port,
    metrics,
    spool,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await exporter.stop();
      await spool.close();
    },
  };
}

/** A stable id per spool, so insert tokens of two collectors never collide. */
function instanceId(spoolDir: string): string {
  const file = path.join(spoolDir, 'instance-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomUUID();
    writeFileSync(file, id);
    return id;
  }
}
