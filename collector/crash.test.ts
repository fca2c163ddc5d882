import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openClickHouse } from '../src/store/clickhouse.ts';
import { freePort } from '../src/store/embedded-postgres.ts';
import { exited, startCli } from '../test/support/cli.ts';
import {
  eventually,
  exportSpans,
  migrateClickHouse,
  otlpExporter,
  rows,
  spanFactory,
} from '../test/support/collector.ts';

describe('collector killed with SIGKILL mid-stream', () => {
  it('loses no acknowledged span and duplicates none after a restart', async () => {
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
    const acked = new Set<string>();
    let sent = 0;
    const makeBatch = async () => {
      const spans = [];
      for (let j = 0; j < 25; j++)
        spans.push(await factory.span({ name: `op-${sent++}`, startMs: Date.now(), durationMs: 1 }));
      return spans;
    };
    // A fresh exporter per batch: a batch is either acknowledged (200) or not, and only acknowledged ones count.
    const send = async (spans: Awaited<ReturnType<typeof makeBatch>>) => {
      const code = await exportSpans(otlpExporter(url, 'protobuf', false), spans);
      if (code === 0) for (const s of spans) acked.add(s.spanContext().spanId);
    };
    const sendBatch = async () => send(await makeBatch());

    let child = await startCli(['collector'], env).then((p) => p.child);
    for (let i = 0; i < 8; i++) await sendBatch();
    // Kill while requests are in flight.
    const batches = [await makeBatch(), await makeBatch(), await makeBatch()];
    const inFlight = Promise.all(batches.map(send));
    await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited(child);
    await inFlight;
    const ackedBeforeRestart = acked.size;
    expect(ackedBeforeRestart).toBeGreaterThanOrEqual(200);

    child = await startCli(['collector'], env).then((p) => p.child);
    for (let i = 0; i < 4; i++) await sendBatch();
    await eventually(
      async () => /^promptscope_collector_spool_bytes 0$/m.test(await (await fetch(`${url}/metrics`)).text()),
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
      const missing = [...acked].filter((id) => !ids.has(id));
      expect(missing).toEqual([]);
      expect(stored.filter((r) => r.n !== '1')).toEqual([]);
      expect(acked.size).toBeGreaterThan(ackedBeforeRestart);
    } finally {
      await ch.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
