import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../src/platform/log.ts';
import { withDefaults } from '../../../src/platform/with-defaults.ts';
import { failpoint } from '../../failpoint.ts';
import { partOfBatch, type Spool, type SpoolBatch } from '../../queue/spool.ts';
import type { CollectorMetrics } from '../../telemetry/metrics.ts';
import { clickhouseErrorCode, isRetryable } from './errors.ts';
import { batchDue, nextBackoff } from './schedule.ts';

export interface ExporterOptions {
  spool: Spool;
  /** Inserts one batch; must be idempotent for the same batch token. May resolve with the number of rows. */
  insert: (batch: SpoolBatch) => Promise<unknown>;
  metrics: CollectorMetrics;
  log: Logger;
  deadLetterDir: string;
  /** Insert as soon as this much is waiting... */
  batchBytes?: number;
  /** ...or once the oldest waiting record is this old. */
  flushIntervalMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Batches inserted at the same time when a backlog builds up (ClickHouse parses each on its own core). */
  concurrency?: number;
}

const DEFAULTS = {
  batchBytes: 4 * 1024 * 1024,
  flushIntervalMs: 1_000,
  concurrency: 2,
  retryInitialMs: 250,
  retryMaxMs: 30_000,
};

/** The exporter was stopped while a batch was still being delivered: it stays in the spool for the next start. */
const STOPPED = Symbol('stopped');

/**
 * Moves spooled rows into ClickHouse: one batch per interval at a low rate, batches of up to `batchBytes` (up to
 * `concurrency` at once) while a backlog lasts, retrying each with backoff while ClickHouse is unavailable, and
 * committing the spool only after ClickHouse confirmed.
 */
export class ClickHouseExporter {
  #o: Required<Omit<ExporterOptions, 'spool' | 'insert' | 'metrics' | 'log' | 'deadLetterDir'>> &
    ExporterOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  /** Wakes the loop early (new data, a finished insert, stop). */
  #wake: (() => void) | undefined;
  /** Ends the backoff waits of retrying batches (stop). */
  #retryWaits = new Set<() => void>();

  constructor(options: ExporterOptions) {
    this.#o = withDefaults(DEFAULTS, options);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the inserts in flight; a batch waiting to retry and what is left stay in the spool for the next start. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    for (const end of this.#retryWaits) end();
    await this.#loop;
  }

  /** Nudges the loop (for example when a big request just landed). */
  poke(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (this.#running) {
      const spool = this.#o.spool;
      if (inFlight.size >= this.#o.concurrency) {
        await this.#sleep(this.#o.flushIntervalMs);
        continue;
      }
      const wait = batchDue({
        unreadBytes: spool.unreadBytes,
        oldestUnreadAt: spool.oldestUnreadAt,
        now: Date.now(),
        batchBytes: this.#o.batchBytes,
        flushIntervalMs: this.#o.flushIntervalMs,
      });
      if (wait > 0) {
        await this.#sleep(wait);
        continue;
      }
      const batch = await spool.read(this.#o.batchBytes);
      if (!batch) {
        await this.#sleep(this.#o.flushIntervalMs);
        continue;
      }
      const delivery: Promise<void> = this.#deliver(batch).finally(() => {
        inFlight.delete(delivery);
        this.#wake?.();
      });
      inFlight.add(delivery);
    }
    await Promise.all(inFlight);
  }

  /**
   * Delivers one batch: inserted whole, or, when ClickHouse refuses its data, split until the bad rows are isolated
   * and dead-lettered while every good row is inserted. Committed to the spool only then.
   */
  async #deliver(batch: SpoolBatch): Promise<void> {
    const result = await this.#insertUntilDone(batch);
    if (result === STOPPED) return;
    if (result !== undefined && !(await this.#isolate(batch, result))) return;
    failpoint('after-insert');
    await this.#o.spool.commit(batch);
  }

  /**
   * Inserts until ClickHouse takes the batch (undefined) or refuses its data (the error), retrying other failures
   * with backoff; STOPPED when the exporter stops first.
   */
  async #insertUntilDone(batch: SpoolBatch): Promise<unknown | typeof STOPPED> {
    let backoff = this.#o.retryInitialMs;
    while (true) {
      const started = performance.now();
      try {
        const rows = await this.#o.insert(batch);
        this.#o.metrics.observeInsert(
          (performance.now() - started) / 1000,
          typeof rows === 'number' ? rows : countRows(batch.payload),
        );
        return undefined;
      } catch (error) {
        if (!isRetryable(error)) return error;
        this.#o.metrics.insertRetries++;
        this.#o.log.warn('ClickHouse insert failed; will retry', {
          error,
          retryInMs: backoff,
          token: batch.token,
        });
        if (!this.#running) return STOPPED;
        await new Promise<void>((resolve) => {
          const end = () => {
            clearTimeout(timer);
            this.#retryWaits.delete(end);
            resolve();
          };
          const timer = setTimeout(end, backoff);
          this.#retryWaits.add(end);
        });
        if (!this.#running) return STOPPED;
        backoff = nextBackoff(backoff, this.#o.retryMaxMs);
      }
    }
  }

  /**
   * Bisects a batch ClickHouse refused as malformed: each half is inserted on its own (with a token derived from the
   * batch's, so a replay after a crash deduplicates what already landed), a half that fails again is split again,
   * and a single row that fails is dead-lettered with the reason. False when the exporter stopped first.
   */
  async #isolate(batch: SpoolBatch, error: unknown): Promise<boolean> {
    const lines = batch.payload.split('\n');
    this.#o.metrics.batchesSplit++;
    this.#o.log.warn('ClickHouse refused rows of a batch; isolating them', {
      error,
      token: batch.token,
      rows: lines.length,
    });
    const split = async (from: number, to: number, failure: unknown): Promise<boolean> => {
      if (to - from === 1) {
        this.#deadLetter(partOfBatch(batch, lines, from, to), failure);
        return true;
      }
      const mid = (from + to) >>> 1;
      for (const [a, b] of [
        [from, mid],
        [mid, to],
      ] as const) {
        const result = await this.#insertUntilDone(partOfBatch(batch, lines, a, b));
        if (result === STOPPED) return false;
        if (result !== undefined && !(await split(a, b, result))) return false;
      }
      return true;
    };
    return split(0, lines.length, error);
  }

  /**
   * Writes rows ClickHouse refused to the dead-letter folder, fsynced before the spool lets them go: `<token>.jsonl`
   * (the rows as they were inserted, JSONCompactEachRow in otel_traces' column order) and `<token>.error.json`.
   */
  #deadLetter(batch: SpoolBatch, error: unknown): void {
    mkdirSync(this.#o.deadLetterDir, { recursive: true });
    const base = path.join(this.#o.deadLetterDir, batch.token.replace(/[^0-9A-Za-z_-]/g, '_'));
    const rows = countRows(batch.payload);
    writeDurably(`${base}.jsonl`, batch.payload.endsWith('\n') ? batch.payload : `${batch.payload}\n`);
    writeDurably(
      `${base}.error.json`,
      `${JSON.stringify({
        token: batch.token,
        rows,
        code: clickhouseErrorCode(error) ?? null,
        reason: (error as Error)?.message ?? String(error),
        deadLetteredAt: new Date().toISOString(),
      })}\n`,
    );
    this.#o.metrics.insertFailuresPermanent++;
    this.#o.metrics.rowsDeadLettered += rows;
    this.#o.log.error('ClickHouse refused rows; moved them to the dead-letter folder', {
      error,
      file: `${base}.jsonl`,
      rows,
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function countRows(payload: string): number {
  let n = 1;
  for (let i = payload.indexOf('\n'); i !== -1; i = payload.indexOf('\n', i + 1)) n++;
  return n;
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
