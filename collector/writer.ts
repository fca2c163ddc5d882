import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../src/log.ts';
import { withDefaults } from '../src/with-defaults.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { Spool, SpoolBatch } from './spool.ts';

export interface WriterOptions {
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

/** ClickHouse error codes that will fail the same way however often they are retried (bad data, not a bad moment). */
const PERMANENT_CODES = new Set(['6', '26', '27', '53', '62', '117', '16']);

/** Whether an insert failure may succeed later (ClickHouse down, overloaded, network) or never will. */
export function isRetryable(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  return !PERMANENT_CODES.has(code);
}

/**
 * Moves spooled rows into ClickHouse: one batch per interval at a low rate, batches of up to `batchBytes` (up to
 * `concurrency` at once) while a backlog lasts, retrying each with backoff while ClickHouse is unavailable, and
 * committing the spool only after ClickHouse confirmed.
 */
export class SpoolWriter {
  #o: Required<Omit<WriterOptions, 'spool' | 'insert' | 'metrics' | 'log' | 'deadLetterDir'>> & WriterOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  /** Wakes the loop early (new data, a finished insert, stop). */
  #wake: (() => void) | undefined;
  /** Ends the backoff waits of retrying batches (stop). */
  #retryWaits = new Set<() => void>();

  constructor(options: WriterOptions) {
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
      const oldest = spool.oldestUnreadAt;
      const due =
        spool.unreadBytes >= this.#o.batchBytes ||
        (oldest !== undefined && Date.now() - oldest >= this.#o.flushIntervalMs);
      if (!due) {
        await this.#sleep(
          oldest === undefined
            ? this.#o.flushIntervalMs
            : Math.max(5, this.#o.flushIntervalMs - (Date.now() - oldest)),
        );
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

  /** Inserts one batch until ClickHouse takes it (then commits it) or refuses it for good (then dead-letters it). */
  async #deliver(batch: SpoolBatch): Promise<void> {
    let backoff = this.#o.retryInitialMs;
    while (true) {
      const started = performance.now();
      try {
        const rows = await this.#o.insert(batch);
        this.#o.metrics.observeInsert(
          (performance.now() - started) / 1000,
          typeof rows === 'number' ? rows : countRows(batch.payload),
        );
        await this.#o.spool.commit(batch);
        return;
      } catch (error) {
        if (!isRetryable(error)) {
          this.#deadLetter(batch, error);
          await this.#o.spool.commit(batch);
          return;
        }
        this.#o.metrics.insertRetries++;
        this.#o.log.warn('ClickHouse insert failed; will retry', {
          error,
          retryInMs: backoff,
          token: batch.token,
        });
        if (!this.#running) return;
        await new Promise<void>((resolve) => {
          const end = () => {
            clearTimeout(timer);
            this.#retryWaits.delete(end);
            resolve();
          };
          const timer = setTimeout(end, backoff);
          this.#retryWaits.add(end);
        });
        if (!this.#running) return;
        backoff = Math.min(backoff * 2, this.#o.retryMaxMs);
      }
    }
  }

  #deadLetter(batch: SpoolBatch, error: unknown): void {
    mkdirSync(this.#o.deadLetterDir, { recursive: true });
    const file = path.join(this.#o.deadLetterDir, `${batch.token.replace(/[^0-9A-Za-z_-]/g, '_')}.jsonl`);
    writeFileSync(file, batch.payload);
    this.#o.metrics.insertFailuresPermanent++;
    this.#o.log.error('ClickHouse refused a batch permanently; moved it to the dead-letter folder', {
      error,
      file,
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
