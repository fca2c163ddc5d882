import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/platform/listen.ts';
import { openClickHouse } from '../src/store/clickhouse.ts';
import { exited, startCli } from '../test/support/cli.ts';
import {
  eventually,
  exportSpans,
  migrateClickHouse,
  otlpExporter,
  rows,
  spanFactory,
} from '../test/support/collector.ts';

/**
 * Where the collector dies: SIGKILL from outside while requests are in flight, or the process killing itself at an
 * exact point (collector/failpoint.ts) — after a request's spans are fsynced but before it is answered, and after
 * ClickHouse took a batch but before the spool recorded that.
 */
const KILL_POINTS = [
  { name: 'mid-stream (SIGKILL while requests are in flight)', failpoint: undefined },
  { name: 'fsynced, not yet answered', failpoint: 'after-fsync:9' },
  { name: 'inserted into ClickHouse, not yet committed in the spool', failpoint: 'after-insert:2' },
] as const;

describe('promptscope collector as users start it', () => {
  it('runs in one process with its memory settings: an 8 MB V8 semi-space, a 256 MB old space, two malloc arenas, a fixed mmap threshold', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-launcher-'));
    const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir });
    await migrateClickHouse(ch.client);
    await ch.close();
    const { NODE_OPTIONS: _, MALLOC_ARENA_MAX: __, MALLOC_MMAP_THRESHOLD_: ___, ...env } = process.env;
    const { child } = await startCli(['collector'], {
      ...env,
      CLICKHOUSE_URL: '',
      PROMPTSCOPE_DATA_DIR: dataDir,
      PROMPTSCOPE_OTLP_PORT: String(await freePort()),
      LOG_LEVEL: 'error',
    });
    try {
      const cmdline = (await fs.readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0');
      const environ = (await fs.readFile(`/proc/${child.pid}/environ`, 'utf8')).split('\0');
      // The shell launcher replaced itself with Node.js: the pid a supervisor holds is the collector's.
      expect(path.basename(cmdline[0]!)).toBe('node');
      expect(cmdline).toEqual(
        expect.arrayContaining(['--max-semi-space-size=8', '--max-old-space-size=256', 'collector']),
      );
      expect(environ).toEqual(
        expect.arrayContaining(['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=262144']),
      );
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('collector killed with SIGKILL', () => {
  it.each(KILL_POINTS)(
    '$name: after a restart and the clients resending what was not acknowledged, otel_traces holds every span exactly once',
    async ({ failpoint }) => {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-crash-'));
      {
        const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir });
        await migrateClickHouse(ch.client);
        await ch.close();
      }
      const port = await freePort();
      const env = {
        ...process.env,
        CLICKHOUSE_URL: '',
        PROMPTSCOPE_DATA_DIR: dataDir,
        PROMPTSCOPE_OTLP_PORT: String(port),
        LOG_LEVEL: 'error',
      };
      const url = `http://127.0.0.1:${port}`;
      const factory = spanFactory('crash');
      const sent = new Set<string>();
      const acked = new Set<string>();
      const unacked: ReadableSpan[][] = [];
      let n = 0;
      const makeBatch = async () => {
        const spans = [];
        for (let j = 0; j < 25; j++)
          spans.push(await factory.span({ name: `op-${n++}`, startMs: Date.now(), durationMs: 1 }));
        for (const s of spans) sent.add(s.spanContext().spanId);
        return spans;
      };
      // A fresh exporter per batch: a batch is either acknowledged (200) or kept to be resent, as an OTLP
      // exporter retries what it was not answered.
      const send = async (spans: ReadableSpan[]) => {
        const code = await exportSpans(otlpExporter(url, 'protobuf', false), spans);
        if (code === 0) for (const s of spans) acked.add(s.spanContext().spanId);
        else unacked.push(spans);
      };

      let child = (await startCli(['collector'], { ...env, PROMPTSCOPE_FAILPOINT: failpoint ?? '' })).child;
      const died = exited(child);
      if (failpoint) {
        // Sends until the process kills itself at the failpoint.
        for (let i = 0; i < 40 && child.exitCode === null && child.signalCode === null; i++) {
          await send(await makeBatch());
          if (failpoint.startsWith('after-insert')) await new Promise((r) => setTimeout(r, 300));
        }
      } else {
        for (let i = 0; i < 8; i++) await send(await makeBatch());
        const batches = [await makeBatch(), await makeBatch(), await makeBatch()];
        const inFlight = Promise.all(batches.map(send));
        await new Promise((r) => setTimeout(r, 5));
        child.kill('SIGKILL');
        await inFlight;
      }
      await died;
      expect(child.signalCode).toBe('SIGKILL');
      const ackedBeforeRestart = acked.size;
      expect(ackedBeforeRestart).toBeGreaterThanOrEqual(100);
      if (failpoint?.startsWith('after-fsync')) expect(unacked.length).toBeGreaterThan(0);

      child = (await startCli(['collector'], env)).child;
      // The clients resend what they were not answered, then carry on.
      for (const spans of unacked.splice(0)) await send(spans);
      for (let i = 0; i < 2; i++) await send(await makeBatch());
      expect(unacked).toEqual([]);
      await eventually(
        async () =>
          /^promptscope_collector_spool_bytes 0$/m.test(await (await fetch(`${url}/metrics`)).text()),
        'the replayed spool to drain',
        30_000,
      );
      child.kill('SIGTERM');
      await exited(child);

      const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir });
      try {
        const stored = await rows<{ SpanId: string; n: string }>(
          ch.client,
          "SELECT SpanId, toString(count()) AS n FROM otel_traces WHERE ServiceName = 'crash' GROUP BY SpanId",
        );
        const ids = new Set(stored.map((r) => r.SpanId));
        expect([...sent].filter((id) => !ids.has(id))).toEqual([]);
        expect(stored.filter((r) => r.n !== '1')).toEqual([]);
        expect(stored.length).toBe(sent.size);
        expect(acked.size).toBe(sent.size);
        const calls = await rows<{ n: string }>(
          ch.client,
          "SELECT toString(count()) AS n FROM otel_traces WHERE ServiceName = 'crash'",
        );
        expect(calls).toEqual([{ n: String(sent.size) }]);
      } finally {
        await ch.close();
        await fs.rm(dataDir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
