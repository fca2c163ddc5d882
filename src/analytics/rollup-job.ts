import type { Logger } from '../platform/log.ts';
import { countedBy, gaugedBy, Registry } from '../platform/metrics.ts';
import { ADVISORY_LOCKS } from '../store/advisory-locks.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { LeaderLock } from '../store/leader-lock.ts';
import type { Sql } from '../store/postgres.ts';
import { type Retention, rollupBuildWindowHours } from '../store/retention.ts';
import { buildRollup, DEFAULT_ROLLUP_OPTIONS, type RollupOptions } from './hourly-rollup.ts';

/** The rollup job's own metrics, in their own registry. */
export class RollupMetrics {
  readonly registry = new Registry();
  hoursBuilt = 0;
  failures = 0;
  /** Closed hours waiting for a build after the last round. */
  waiting = 0;
  leader = 0;

  constructor() {
    const r = this.registry;
    countedBy(
      r,
      'promptscope_rollup_hours_built_total',
      'Hours of llm_calls built (or rebuilt) into the hourly rollup',
      () => this.hoursBuilt,
    );
    countedBy(
      r,
      'promptscope_rollup_build_failures_total',
      'Rollup rounds that failed (figures read llm_calls for the hours not built)',
      () => this.failures,
    );
    gaugedBy(
      r,
      'promptscope_rollup_hours_waiting',
      'Closed hours whose rollup is missing or out of date after the last round',
      () => this.waiting,
    );
    gaugedBy(
      r,
      'promptscope_rollup_builder_leader',
      '1 when this process builds the rollup',
      () => this.leader,
    );
  }
}

export interface RollupJobOptions {
  sql: Sql;
  clickhouse: ClickHouseClient;
  log: Logger;
  /** How often a round runs (the active builder) or the lock is tried (the others). */
  intervalMs?: number;
  options?: RollupOptions;
}

export interface RunningRollupJob {
  metrics: RollupMetrics;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * Keeps the hourly rollup of llm_calls built (analytics/hourly-rollup.ts): a job of its own, beside the alert
 * scheduler wherever that runs. One process builds across all that share a Postgres (an advisory lock of its own);
 * a round that fails is logged and counted, and the next one tries again.
 */
export async function startRollupJob(o: RollupJobOptions): Promise<RunningRollupJob> {
  const metrics = new RollupMetrics();
  const lock = new LeaderLock(o.sql, ADVISORY_LOCKS.rollup, o.log, 'the hourly rollup builder');
  let running: Promise<void> | undefined;
  const round = async () => {
    const leader = await lock.holds();
    metrics.leader = leader ? 1 : 0;
    if (!leader) return;
    try {
      const r = await buildRollup(o.clickhouse, o.options);
      metrics.hoursBuilt += r.built;
      metrics.waiting = r.waiting;
    } catch (error) {
      metrics.failures++;
      o.log.warn('hourly rollup round failed; figures read llm_calls for the hours not built', {
        error: (error as Error).message,
      });
    }
  };
  const tick = () => {
    if (running) return;
    running = round().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(tick, o.intervalMs ?? 30_000);
  tick();
  return {
    metrics,
    isLeader: () => lock.held,
    async stop() {
      clearInterval(timer);
      await running;
      await lock.release();
    },
  };
}

/** The rollup job with the deployment's settings: hours are built as far back as llm_calls keeps them. */
export function startConfiguredRollupJob(o: {
  sql: Sql;
  clickhouse: ClickHouseClient;
  log: Logger;
  retention: Retention;
}): Promise<RunningRollupJob> {
  return startRollupJob({
    ...o,
    options: { ...DEFAULT_ROLLUP_OPTIONS, buildWithinHours: rollupBuildWindowHours(o.retention) },
  });
}
