import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../platform/log.ts';
import { advanceRollouts, ROLLOUT_INTERVAL_MS } from '../rollouts/job.ts';
import { ADVISORY_LOCKS } from '../store/advisory-locks.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { LeaderLock } from '../store/leader-lock.ts';
import type { Sql } from '../store/postgres.ts';
import { recordBudgetStatus } from './budget-status.ts';
import { sharedState } from './budgets.ts';
import { evaluateRule } from './evaluator.ts';
import {
  type MetricSample,
  type MetricStore,
  PostgresMetricHistory,
  parsePrometheusText,
} from './metric-history.ts';
import { AlertMetrics } from './metrics.ts';
import { AlertmanagerForwarder } from './notifications/alertmanager-forwarder.ts';
import type { NotificationConfig } from './notifications/config.ts';
import { Dispatcher } from './notifications/dispatcher.ts';
import { OutboxSender } from './notifications/outbox.ts';
import { routeTemplateEvents } from './notifications/template-event-router.ts';
import { type MetricReader, RuleQueryError, type Sample } from './rule-query.ts';
import { cronForInterval, type RuleGroup } from './rules.ts';
import {
  allInstances,
  loadInstances,
  pruneAlertRecords,
  ruleStatuses,
  saveEvaluation,
} from './state-store.ts';

/** Whether each collector could be scraped (1) or not (0), as Prometheus's `up`. */
const UP = 'up';

/** A collector whose metrics rules read: its /metrics URL, or one running in this process (read without HTTP). */
export type MetricsTarget = string | { instance: string; samples: () => Promise<MetricSample[]> };

export interface SchedulerOptions {
  sql: Sql;
  clickhouse: ClickHouseClient;
  groups: RuleGroup[];
  notifications: NotificationConfig;
  log: Logger;
  /** Collectors' metrics for `metric` rules: /metrics URLs to scrape, or a collector in this process read directly. */
  metricsTargets: MetricsTarget[];
  externalUrl: string | undefined;
  /** How often a standby tries to become the active evaluator (and the outbox is looked at). */
  pollIntervalMs?: number;
  /** How often the active scheduler advances guarded rollouts (default 10 s; dividing a minute). */
  rolloutIntervalMs?: number;
}

export interface RunningScheduler {
  metrics: AlertMetrics;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * `promptscope scheduler`: evaluates every rule group on its interval (node-cron, UTC, runs never overlap: a run
 * still going when the next is due makes that one skipped and counted), then routes, groups and delivers
 * notifications. Exactly one scheduler is active across processes: the one holding a Postgres advisory lock; the
 * others try to take it every poll interval, so one takes over within that when the active one dies (its session
 * ends, and the lock with it). Each evaluation runs at its slot time (the interval boundary, not the wall clock).
 */
export async function startScheduler(o: SchedulerOptions): Promise<RunningScheduler> {
  const metrics = new AlertMetrics();
  const log = o.log;
  const pollMs = o.pollIntervalMs ?? 1000;
  const dispatcher = new Dispatcher({ sql: o.sql, config: o.notifications, log, externalUrl: o.externalUrl });
  const outbox = new OutboxSender({ sql: o.sql, config: o.notifications, log, metrics });
  const forwarder = new AlertmanagerForwarder({
    targets: o.notifications.alertmanagers,
    sql: o.sql,
    log,
    externalUrl: o.externalUrl,
    metrics,
  });
  const metricNames = o.groups.flatMap((g) =>
    g.rules.flatMap((r) => (r.query.kind === 'metric' ? [r.query.metric] : [])),
  );
  const reader = new ScrapingMetricReader(
    o.metricsTargets,
    new PostgresMetricHistory(o.sql, [UP, ...metricNames]),
  );
  const lock = new LeaderLock(o.sql, ADVISORY_LOCKS.scheduler, log, 'the active alert evaluator');
  let stopped = false;
  const running = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    running.add(p);
    p.finally(() => running.delete(p)).catch(() => {});
    return p;
  };
  const holdsLock = async (): Promise<boolean> => {
    const leader = await lock.holds();
    metrics.leader = leader ? 1 : 0;
    return leader;
  };

  let prunedAt = 0;
  const notify = async (now: number) => {
    try {
      // One load of the alert instances per tick, for the route tree and the Alertmanagers alike.
      const instances = await allInstances(o.sql);
      await dispatcher.tick(now, instances);
      await forwarder.tick(now, instances);
      await routeTemplateEvents(o.sql, o.notifications, log, o.externalUrl ?? '', now);
      await outbox.deliverDue(now);
      if (now - prunedAt > 3_600_000) {
        prunedAt = now;
        await pruneAlertRecords(o.sql, now);
      }
    } catch (error) {
      log.error('notification pipeline failed', { error: (error as Error).message });
    }
  };

  /** A budget group's state, as its rules just read it, for Grafana (budget_status). */
  const recordBudgets = async (group: RuleGroup, ts: number) => {
    const budget = group.rules.find((r) => r.query.kind === 'budget')?.query;
    if (budget?.kind !== 'budget') return;
    try {
      const state = await sharedState(o.clickhouse, budget.budget, ts - group.queryOffsetMs);
      await recordBudgetStatus(o.clickhouse, state, ts);
    } catch (error) {
      log.warn('budget state not recorded', { budget: budget.budget.name, error: (error as Error).message });
    }
  };

  const evaluateGroup = async (group: RuleGroup, ts: number) => {
    const statuses = await ruleStatuses(o.sql);
    await Promise.all(
      group.rules.map(async (rule) => {
        const started = performance.now();
        try {
          const previous = await loadInstances(o.sql, rule.key);
          const outcome = await evaluateRule(rule, group, ts, previous, statuses.get(rule.key), {
            clickhouse: o.clickhouse,
            metrics: reader,
          });
          await saveEvaluation(o.sql, rule.key, outcome, ts);
          metrics.evaluations++;
          if (outcome.status.error) {
            metrics.evaluationFailures++;
            log.warn('rule evaluation failed', { rule: rule.key, error: outcome.status.error });
          }
          for (const t of outcome.transitions)
            log.info('alert state changed', {
              rule: rule.key,
              labels: t.labels,
              from: t.from,
              to: t.to,
              value: t.value,
            });
        } catch (error) {
          metrics.evaluationFailures++;
          log.error('rule evaluation could not be stored', {
            rule: rule.key,
            error: (error as Error).message,
          });
        } finally {
          metrics.evaluationDuration.observe((performance.now() - started) / 1000);
        }
      }),
    );
    await recordBudgets(group, ts);
    const counts = await o.sql<
      { state: string; n: number }[]
    >`select state, count(*)::int as n from alert_instances
      where state in ('pending', 'firing') group by state`;
    metrics.alerts = { pending: 0, firing: 0 };
    for (const c of counts) metrics.alerts[c.state as 'pending' | 'firing'] = c.n;
  };

  const tasks: ScheduledTask[] = o.groups.map((group) => {
    const task = cron.schedule(
      cronForInterval(group.intervalMs)!,
      async () => {
        if (stopped || !(await holdsLock())) return;
        const ts = Math.round(Date.now() / group.intervalMs) * group.intervalMs;
        await track(
          evaluateGroup(group, ts).catch((error) =>
            log.error('rule group evaluation failed', { group: group.name, error: (error as Error).message }),
          ),
        );
        await track(notify(Date.now()));
      },
      { name: `alerts:${group.name}`, timezone: 'UTC', noOverlap: true },
    );
    task.on('execution:overlap', () => {
      metrics.groupRunsSkipped++;
      log.warn('rule group run skipped: the previous run is still going', { group: group.name });
    });
    return task;
  });

  // Guarded rollouts move on the same lock: a restarted or failed-over scheduler carries on from Postgres.
  const rollouts = cron.schedule(
    cronForInterval(o.rolloutIntervalMs ?? ROLLOUT_INTERVAL_MS)!,
    async () => {
      if (stopped || !(await holdsLock())) return;
      await track(
        advanceRollouts({ sql: o.sql, clickhouse: o.clickhouse, log }, Date.now()).catch((error) =>
          log.error('rollouts not advanced', { error: (error as Error).message }),
        ),
      );
      await track(notify(Date.now()));
    },
    { name: 'rollouts', timezone: 'UTC', noOverlap: true },
  );
  tasks.push(rollouts);

  // Between evaluations: take over as soon as the active evaluator is gone, and keep the outbox moving.
  const poll = setInterval(() => {
    if (stopped) return;
    track(
      holdsLock().then(async (leader) => {
        if (leader) await notify(Date.now());
      }),
    );
  }, pollMs);
  await holdsLock();

  return {
    metrics,
    isLeader: () => lock.held,
    async stop() {
      stopped = true;
      clearInterval(poll);
      for (const t of tasks) t.destroy();
      await Promise.allSettled([...running]);
      await lock.release();
    },
  };
}

/**
 * Collectors' metrics, read once per evaluation time (scraped from /metrics, or in process from a collector in this
 * one) and kept in Postgres; each collector's samples carry `instance`. Each scrape also records `up` per
 * collector (1 scraped, 0 not), as Prometheus does: the CollectorDown rule reads it. A failed scrape makes rules on
 * other metrics fail (they keep their state, health `error`), never the `up` rule.
 */
class ScrapingMetricReader implements MetricReader {
  readonly #targets: MetricsTarget[];
  readonly #history: MetricStore;
  #scraped: { ts: number; done: Promise<string[]> } | undefined;

  constructor(targets: MetricsTarget[], history: MetricStore) {
    this.#targets = targets;
    this.#history = history;
  }

  async read(metric: string, ts: number, increaseMs: number | undefined): Promise<Sample[]> {
    if (this.#scraped?.ts !== ts) this.#scraped = { ts, done: this.#scrape(ts) };
    const errors = await this.#scraped.done;
    if (errors.length && metric !== UP) throw new RuleQueryError(errors.join('; '));
    return this.#history.read(metric, ts, increaseMs);
  }

  async #scrape(ts: number): Promise<string[]> {
    const errors: string[] = [];
    const samples: MetricSample[] = [];
    await Promise.all(
      this.#targets.map(async (target) => {
        const instance = typeof target === 'string' ? new URL(target).host : target.instance;
        try {
          if (typeof target === 'string') {
            const res = await fetch(target, { signal: AbortSignal.timeout(5000) });
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            samples.push(...parsePrometheusText(await res.text(), { instance }));
          } else {
            for (const s of await target.samples()) samples.push({ ...s, labels: { ...s.labels, instance } });
          }
          samples.push({ name: UP, labels: { instance }, value: 1 });
        } catch (error) {
          errors.push(`cannot scrape ${instance}: ${(error as Error).message}`);
          samples.push({ name: UP, labels: { instance }, value: 0 });
        }
      }),
    );
    await this.#history.record(ts, samples);
    return errors;
  }
}
