/**
 * Benchmark: spans through the collector into the embedded ClickHouse, end to end, sent with the real OTel
 * exporter (protobuf, ~15 attributes per span like the sdk's). The collector runs as `promptscope collector` in its
 * own process (peak RSS is that process's VmHWM); the load comes from this one. In the same run, the same number of
 * rows is inserted straight into a second embedded ClickHouse with @clickhouse/client, for comparison.
 *
 * First 12 s at a steady 5,000 spans/s (2 s warm-up, then acknowledgement latency is measured), then the
 * throughput phase as fast as the exporters go.
 *
 *   npm run bench -- collector        (BENCH_SPANS=150000 BENCH_CONCURRENCY=4 BENCH_BATCH=512)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { toRows } from '../collector/otlp/spans-to-rows.ts';
import { openClickHouse } from '../src/store/clickhouse.ts';
import { freePort } from '../src/store/embedded-postgres.ts';
import { migrateClickHouse } from '../test/support/collector.ts';

const TOTAL = Number(process.env.BENCH_SPANS ?? 150_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const BATCH = Number(process.env.BENCH_BATCH ?? 512);
const PACED_RATE = 5_000;
const PACED_SECONDS = 10;

export async function run(): Promise<Record<string, string | number>> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-collector-'));
  const straightDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-straight-'));
  try {
    const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir });
    await migrateClickHouse(ch.client);
    await ch.close();

    const spans = makeSpans(TOTAL + PACED_RATE * (PACED_SECONDS + 2));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      process.execPath,
      [path.resolve(import.meta.dirname, '../src/cli/main.ts'), 'collector'],
      {
        env: {
          ...process.env,
          CLICKHOUSE_URL: '',
          PROMPTSCOPE_DATA_DIR: dataDir,
          PROMPTSCOPE_OTLP_PORT: String(port),
          LOG_LEVEL: 'error',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve) =>
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('Press Ctrl+C') && resolve()),
    );
    const written = async () =>
      Number(
        /^promptscope_collector_spans_written_total (\d+)$/m.exec(
          await (await fetch(`${url}/metrics`)).text(),
        )?.[1] ?? 0,
      );

    // Phase 1: a steady 5,000 spans/s in batches of 100 (steady state, before any burst), measuring each
    // acknowledgement; the first 2 s warm up and are not counted.
    const paced: number[] = [];
    const exporter = new OTLPTraceExporter({ url: `${url}/v1/traces` });
    const pacedStart = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < (PACED_RATE * (PACED_SECONDS + 2)) / 100; i++) {
      const due = pacedStart + i * (100_000 / PACED_RATE);
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const batch = spans.slice(TOTAL + i * 100, TOTAL + (i + 1) * 100);
      const t = performance.now();
      const warmUp = i < (PACED_RATE * 2) / 100;
      inflight.push(
        new Promise<void>((r) =>
          exporter.export(batch, () => {
            if (!warmUp) paced.push(performance.now() - t);
            r();
          }),
        ),
      );
    }
    await Promise.all(inflight);
    await exporter.shutdown();

    // Phase 2: as fast as the exporters can send; the clock stops when ClickHouse has every span.
    const pacedCount = PACED_RATE * (PACED_SECONDS + 2);
    while ((await written()) < pacedCount) await new Promise((r) => setTimeout(r, 50));
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
    while ((await written()) < pacedCount + TOTAL) await new Promise((r) => setTimeout(r, 50));
    const endToEndSeconds = (performance.now() - started) / 1000;

    const status = await fs.readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    const straight = await straightInsertRate(spans.slice(0, TOTAL), straightDir);
    const e2e = TOTAL / endToEndSeconds;
    return {
      'spans (throughput phase)': TOTAL,
      'end-to-end spans/s (acked → in ClickHouse)': Math.round(e2e),
      'acknowledged spans/s': Math.round(TOTAL / ((ackedAt - started) / 1000)),
      'straight @clickhouse/client insert rows/s': Math.round(straight),
      'end-to-end / straight insert': (e2e / straight).toFixed(2),
      'p99 ack ms at full speed (batch of 512)': percentile(ackLatencies, 0.99).toFixed(1),
      'p99 ack ms at 5,000 spans/s (batch of 100)': percentile(paced, 0.99).toFixed(1),
      'p50 ack ms at 5,000 spans/s': percentile(paced, 0.5).toFixed(1),
      'collector peak RSS MB (with embedded ClickHouse)': Math.round(peakRssMb),
    };
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rm(straightDir, { recursive: true, force: true });
  }
}

/** Spans shaped like the sdk's: ~15 GenAI attributes, unique ids. */
function makeSpans(n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'bench-service',
      'deployment.environment.name': 'bench',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('promptscope', '0.1.0');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('generate_content gemini-2.5-flash', {
      kind: 2,
      attributes: {
        'gen_ai.operation.name': 'generate_content',
        'gen_ai.provider.name': 'gcp.gemini',
        'gen_ai.request.model': 'gemini-2.5-flash',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.response.model': 'gemini-2.5-flash',
        'gen_ai.response.id': `resp-${i}`,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 1200 + (i % 100),
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 200,
        'gen_ai.usage.reasoning.output_tokens': 100,
        'gen_ai.usage.cost.amount': '0.001306',
        'gen_ai.usage.cost.currency': 'USD',
        'gen_ai.prompt.name': `template-${i % 20}`,
        'gen_ai.prompt.version': String(1 + (i % 3)),
      },
    });
    span.end();
  }
  const spans = memory.getFinishedSpans();
  return spans;
}

/** The same rows inserted with @clickhouse/client into a fresh embedded ClickHouse, 10k per insert. */
async function straightInsertRate(spans: ReadableSpan[], dir: string): Promise<number> {
  const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir: dir });
  try {
    await migrateClickHouse(ch.client);
    const rows = toRows({
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
    const started = performance.now();
    for (let i = 0; i < rows.length; i += 10_000) {
      await ch.client.insert({
        table: 'otel_traces',
        values: rows.slice(i, i + 10_000),
        format: 'JSONEachRow',
      });
    }
    return rows.length / ((performance.now() - started) / 1000);
  } finally {
    await ch.close();
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
}
