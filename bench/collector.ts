/**
 * Benchmark: spans through the collector into ClickHouse, end to end, sent with the real OTel exporter (protobuf,
 * ~15 attributes per span like the sdk's). The collector runs as `promptscope collector` in its own process, started
 * through bin/promptscope as users start it (peak RSS is that process's VmHWM); the load comes from this one. Two runs: on the embedded defaults (the ClickHouse
 * engine inside the collector's process), then with ClickHouse in a process of its own (the collector's own
 * footprint). In the same run, the same rows are inserted straight into a fresh embedded ClickHouse with
 * @clickhouse/client, for comparison: once before and once after, compared with the mean.
 *
 * Each run: first 12 s at a steady 5,000 spans/s (2 s warm-up, then acknowledgement latency is measured), then the
 * throughput phase as fast as the exporters go.
 *
 *   npm run bench -- collector        (BENCH_SPANS=150000 BENCH_CONCURRENCY=4 BENCH_BATCH=512)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { toRows } from '../collector/receiver/otlp/spans-to-rows.ts';
import type { OtelTraceRow } from '../collector/span-row.ts';
import { freePort } from '../src/platform/listen.ts';
import { openClickHouse } from '../src/store/clickhouse.ts';
import { applyEmbeddedMergeSettings } from '../src/store/embedded-merge-settings.ts';
import { startClickHouseServer } from '../src/testing/clickhouse-server.ts';
import { migrateClickHouse } from '../test/support/collector.ts';
import { makeSpans } from './llm-spans.ts';

export const TOTAL = Number(process.env.BENCH_SPANS ?? 150_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const BATCH = Number(process.env.BENCH_BATCH ?? 512);
const PACED_RATE = 5_000;
/** From https://open-telemetry.github.io/opentelemetry-collector-contrib/benchmarks/loadtests (Trace10kSPS, RAM). */
const OTELCOL_ANCHOR = '51–71 MiB RAM at 10,000 spans/s';
const PACED_SECONDS = 10;

interface DriveResult {
  endToEnd: number;
  acknowledged: number;
  p99Full: number;
  p99Paced: number;
  p50Paced: number;
  peakRssMb: number;
  /** Peak of the file-backed part of RSS: mapped libraries, above all the chDB engine (~550 MB on disk). */
  peakFileRssMb: number;
  /** Peak size of the V8 heap (`nodejs_heap_size_total_bytes`, sampled every 250 ms). */
  peakHeapMb: number;
  /** Peak memory of Buffers and other C++ objects held by JavaScript (`nodejs_external_memory_bytes`). */
  peakExternalMb: number;
}

export async function run(): Promise<Record<string, string | number>> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-collector-'));
  const externalDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-external-'));
  const straightDirs = [
    await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-straight-')),
    await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-straight-')),
  ];
  const spans = makeSpans(TOTAL);
  const children: ChildProcess[] = [];
  try {
    // The straight insert runs before and after the collector runs, and they are compared with the mean: this
    // machine's speed drifts by ±15 % over a minute, and a single straight run on one side of it skews the ratio.
    const straightRows = rowsOf(spans);
    const straightBefore = await straightInsertRate(straightRows, straightDirs[0]!);

    // 1. `promptscope collector` on the embedded defaults: the ClickHouse engine runs inside its process.
    await migrated(dataDir);
    const embedded = await drive(spans, { CLICKHOUSE_URL: '', PROMPTSCOPE_DATA_DIR: dataDir }, children);
    await fs.rm(dataDir, { recursive: true, force: true });

    // 2. The same load with ClickHouse in a process of its own, as deployed at scale (CLICKHOUSE_URL set): the
    //    collector's own footprint. The server is chDB behind a small HTTP front (src/testing/clickhouse-server.ts).
    await migrated(externalDir);
    const server = await startClickHouseServer(path.join(externalDir, 'clickhouse'));
    children.push(server.child);
    const external = await drive(
      spans,
      {
        CLICKHOUSE_URL: server.url,
        PROMPTSCOPE_DATA_DIR: path.join(externalDir, 'collector'),
      },
      children,
    );
    // Gone, with the runs' files, before the second straight insert: its shutdown (and any merge still running) takes
    // none of its CPU, and the page cache none of its memory.
    await stop(server.child);
    await fs.rm(externalDir, { recursive: true, force: true });

    const straightAfter = await straightInsertRate(straightRows, straightDirs[1]!);
    const straight = (straightBefore + straightAfter) / 2;
    return {
      'spans (throughput phase)': TOTAL,
      'end-to-end spans/s (acked → in ClickHouse)': Math.round(embedded.endToEnd),
      'acknowledged spans/s': Math.round(embedded.acknowledged),
      'straight @clickhouse/client insert rows/s': `${Math.round(straight)} (before ${Math.round(straightBefore)}, after ${Math.round(straightAfter)})`,
      'end-to-end / straight insert': (embedded.endToEnd / straight).toFixed(2),
      'p99 ack ms at full speed (batch of 512)': embedded.p99Full.toFixed(1),
      'p99 ack ms at 5,000 spans/s (batch of 100)': embedded.p99Paced.toFixed(1),
      'p50 ack ms at 5,000 spans/s': embedded.p50Paced.toFixed(1),
      'peak RSS MB, collector + embedded ClickHouse': Math.round(embedded.peakRssMb),
      '  of which file-backed (chDB library)': Math.round(embedded.peakFileRssMb),
      '  of which V8 heap (peak)': Math.round(embedded.peakHeapMb),
      '  Buffers and other external memory (peak)': Math.round(embedded.peakExternalMb),
      'ClickHouse in its own process: end-to-end spans/s': Math.round(external.endToEnd),
      '  p99 ack ms at 5,000 spans/s': external.p99Paced.toFixed(1),
      '  collector peak RSS MB': Math.round(external.peakRssMb),
      '    of which V8 heap (peak)': Math.round(external.peakHeapMb),
      '    Buffers and other external memory (peak)': Math.round(external.peakExternalMb),
      // The anchor: the Go OpenTelemetry Collector in its own contrib load tests (OTLP in, OTLP out, no storage).
      'OpenTelemetry Collector, Trace10kSPS (its load tests)': OTELCOL_ANCHOR,
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    for (const dir of [dataDir, externalDir, ...straightDirs])
      await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function migrated(dataDir: string): Promise<void> {
  const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir });
  await migrateClickHouse(ch.client);
  await ch.close();
}

function printed(child: ChildProcess, text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => d.toString().includes(text) && resolve());
  });
}

/** Runs `promptscope collector` with `env`, drives both phases through it, and stops it. */
export async function drive(
  spans: ReadableSpan[],
  env: Record<string, string>,
  children: ChildProcess[],
): Promise<DriveResult> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // As users start it (npx promptscope collector): through bin/promptscope, which sets the collector's memory flags.
  const child = spawn(path.resolve(import.meta.dirname, '../bin/promptscope'), ['collector'], {
    env: { ...process.env, ...env, PROMPTSCOPE_OTLP_PORT: String(port), LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await printed(child, 'Press Ctrl+C');
  let peakFileRssMb = 0;
  let peakHeapMb = 0;
  let peakExternalMb = 0;
  const sampler = setInterval(async () => {
    const status = readStatus(child.pid!);
    peakFileRssMb = Math.max(peakFileRssMb, Number(/RssFile:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
    const metrics = await fetch(`${url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    const heap = Number(/^nodejs_heap_size_total_bytes (\d+)$/m.exec(metrics)?.[1] ?? 0) / 1024 / 1024;
    peakHeapMb = Math.max(peakHeapMb, heap);
    const external = Number(/^nodejs_external_memory_bytes (\d+)$/m.exec(metrics)?.[1] ?? 0) / 1024 / 1024;
    peakExternalMb = Math.max(peakExternalMb, external);
  }, 250);
  const written = async () =>
    Number(
      /^promptscope_collector_spans_written_total (\d+)$/m.exec(
        await (await fetch(`${url}/metrics`)).text(),
      )?.[1] ?? 0,
    );

  /** Waits until ClickHouse has `count` spans; fails loudly rather than waiting forever if the count stalls. */
  const writtenReaches = async (count: number) => {
    let last = -1;
    let since = performance.now();
    for (let n = await written(); n < count; n = await written()) {
      if (n !== last) [last, since] = [n, performance.now()];
      if (performance.now() - since > 60_000) throw new Error(`stuck at ${n} of ${count} spans written`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  // Phase 1: a steady 5,000 spans/s in batches of 100 (steady state, before any burst), measuring each
  // acknowledgement; the first 2 s warm up and are not counted. Sent from a worker thread with its own spans, so
  // pauses of this thread's large heap (the throughput phase's spans) are not mistaken for the collector's.
  const { latencies: paced, failures } = await new Promise<{
    latencies: number[];
    failures: string[];
  }>((resolve, reject) => {
    const worker = new Worker(new URL('./paced-load-worker.ts', import.meta.url), {
      workerData: { url: `${url}/v1/traces`, rate: PACED_RATE, seconds: PACED_SECONDS, warmUpSeconds: 2 },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });

  if (failures.length > 0)
    throw new Error(`${failures.length} exports failed at 5,000 spans/s, e.g. ${failures[0]}`);

  // Phase 2: as fast as the exporters can send; the clock stops when ClickHouse has every span.
  const pacedCount = PACED_RATE * (PACED_SECONDS + 2);
  await writtenReaches(pacedCount);
  settle();
  const started = performance.now();
  let next = 0;
  const ackLatencies: number[] = [];
  const sender = async () => {
    const exporter = new OTLPTraceExporter({ url: `${url}/v1/traces` });
    while (next < TOTAL) {
      const batch = spans.slice(next, Math.min(next + BATCH, TOTAL));
      next += batch.length;
      const t = performance.now();
      const code = await new Promise<number>((r) => exporter.export(batch, (res) => r(res.code)));
      if (code !== 0) throw new Error('export failed during the throughput phase');
      ackLatencies.push(performance.now() - t);
    }
    await exporter.shutdown();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, sender));
  const ackedAt = performance.now();
  await writtenReaches(pacedCount + TOTAL);
  const endToEndSeconds = (performance.now() - started) / 1000;

  clearInterval(sampler);
  const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(readStatus(child.pid!))?.[1] ?? 0) / 1024;
  await stop(child);
  return {
    endToEnd: TOTAL / endToEndSeconds,
    acknowledged: TOTAL / ((ackedAt - started) / 1000),
    p99Full: percentile(ackLatencies, 0.99),
    p99Paced: percentile(paced, 0.99),
    p50Paced: percentile(paced, 0.5),
    peakRssMb,
    peakFileRssMb,
    peakHeapMb,
    peakExternalMb,
  };
}

/** SIGTERM, and resolves once the process has exited. */
async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** The spans as the otel_traces rows the receiver makes of them. */
function rowsOf(spans: ReadableSpan[]): OtelTraceRow[] {
  return toRows({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench-service' } }] },
        scopeSpans: [
          {
            scope: { name: 'promptscope', version: '0.1.0' },
            spans: spans.map((s) => ({
              traceId: s.spanContext().traceId,
              spanId: s.spanContext().spanId,
              name: s.name,
              kind: s.kind + 1,
              startTimeUnixNano: String(BigInt(s.startTime[0]) * 1_000_000_000n + BigInt(s.startTime[1])),
              endTimeUnixNano: String(BigInt(s.endTime[0]) * 1_000_000_000n + BigInt(s.endTime[1])),
              attributes: Object.entries(s.attributes).map(([key, v]) => ({
                key,
                value:
                  typeof v === 'number'
                    ? { doubleValue: v }
                    : Array.isArray(v)
                      ? { arrayValue: { values: v.map((x) => ({ stringValue: String(x) })) } }
                      : { stringValue: String(v) },
              })),
            })),
          },
        ],
      },
    ],
  }).rows;
}

/** The same rows inserted with @clickhouse/client into a fresh embedded ClickHouse, 10k per insert (rows/s). */
async function straightInsertRate(rows: readonly OtelTraceRow[], dir: string): Promise<number> {
  const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir: dir });
  try {
    await migrateClickHouse(ch.client);
    // The tables as the embedded collector runs them.
    await applyEmbeddedMergeSettings(ch.client);
    // The first insert warms the engine up (code paths run for the first time) and is not timed.
    const insert = (from: number) =>
      ch.client.insert({
        table: 'otel_traces',
        values: rows.slice(from, from + 10_000),
        format: 'JSONEachRow',
      });
    await insert(0);
    settle();
    const started = performance.now();
    for (let i = 10_000; i < rows.length; i += 10_000) await insert(i);
    return (rows.length - 10_000) / ((performance.now() - started) / 1000);
  } finally {
    await ch.close();
  }
}

/**
 * Writes out every dirty page (`sync`) before a timed phase: the kernel writes a previous phase's files back for
 * seconds afterwards (a straight insert right after the collector runs measured 26k rows/s, 33k 15 s later).
 */
function settle(): void {
  execFileSync('sync');
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
}
