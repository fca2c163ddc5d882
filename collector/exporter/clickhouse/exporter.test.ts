import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as realSleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/platform/log.ts';
import { Spool } from '../../queue/spool.ts';
import { CollectorMetrics } from '../../telemetry/metrics.ts';
import { ClickHouseExporter } from './exporter.ts';

/**
 * The exporter's waits on a fake clock: when a batch goes out and how long a failed insert waits, without sleeping.
 * The spool stays real (files in a temporary folder); only timers and Date are faked.
 */
describe('the exporter on a fake clock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-exporter-'));
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      now: Date.parse('2026-12-06T12:00:00Z'),
    });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Moves the fake clock in 10 ms steps, giving the spool's real file I/O a real millisecond in between. */
  async function advance(ms: number, until: () => boolean = () => false): Promise<void> {
    for (let spent = 0; spent < ms && !until(); spent += 10) {
      await vi.advanceTimersByTimeAsync(10);
      await realSleep(1);
    }
  }

  function exporterOf(spool: Spool, insert: () => Promise<void>, metrics = new CollectorMetrics()) {
    return new ClickHouseExporter({
      spool,
      insert,
      metrics,
      log: silentLogger,
      deadLetterDir: path.join(dir, 'dead-letter'),
      batchBytes: 1024 * 1024,
      flushIntervalMs: 1_000,
      retryInitialMs: 250,
      retryMaxMs: 1_000,
    });
  }

  it('sends a small batch once it is a flush interval old, not before', async () => {
    const spool = new Spool({ dir });
    const sent: number[] = [];
    const exporter = exporterOf(spool, async () => {
      sent.push(Date.now());
    });
    const appended = Date.now();
    await spool.append(['["a"]']);
    exporter.start();
    await advance(900);
    expect(sent).toEqual([]);
    await advance(2_000, () => sent.length > 0);
    expect(sent.map((t) => t - appended)).toEqual([expect.any(Number)]);
    expect(sent[0]! - appended).toBeGreaterThanOrEqual(1_000);
    expect(sent[0]! - appended).toBeLessThan(1_100);
    await exporter.stop();
    await spool.close();
  });

  it('retries a failing insert after 250 ms, 500 ms, then 1 s each (the maximum), and commits once it lands', async () => {
    const spool = new Spool({ dir });
    const metrics = new CollectorMetrics();
    const attempts: number[] = [];
    let failures = 4;
    const exporter = exporterOf(
      spool,
      async () => {
        attempts.push(Date.now());
        if (failures-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
      },
      metrics,
    );
    await spool.append(['["a"]', '["b"]']);
    exporter.start();
    await advance(10_000, () => attempts.length === 5 && spool.unsentBytes === 0);
    expect(attempts.slice(1).map((t, i) => t - attempts[i]!)).toEqual([250, 500, 1_000, 1_000]);
    expect(metrics.insertRetries).toBe(4);
    expect(metrics.spansWritten).toBe(2);
    expect(spool.unsentBytes).toBe(0);
    await exporter.stop();
    await spool.close();
  });
});
