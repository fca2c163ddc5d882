import { fingerprint, type Labels } from '../alerts/labels.ts';
import { runQuery, type UsageFigure, usageQuery } from '../analytics/figures.ts';
import type { Logger } from '../platform/log.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import type { Queryable, Sql } from '../store/postgres.ts';
import { describeResult, type GuardResult, judge, type VersionFigures } from './guards.ts';
import { decide } from './state-machine.ts';
import { applyDecision, type Rollout, runningRollouts } from './store.ts';

/** How often the active scheduler looks at running rollouts. */
export const ROLLOUT_INTERVAL_MS = 10_000;
/** A rollback's alert fires at once and resolves after this long. */
export const ROLLBACK_ALERT_MS = 3_600_000;

/** Each version's calls, errors and the guards' figures over the rollout's window, for this template and label. */
async function versionFigures(
  client: ClickHouseClient,
  r: Rollout,
  now: number,
): Promise<Map<string, VersionFigures>> {
  const figures = [...new Set<UsageFigure>(['calls', 'errors', ...r.guards.map((g) => g.figure)])];
  const rows = await runQuery<Record<string, number | string | null>>(
    client,
    usageQuery(
      {
        from: now - r.windowMs,
        to: now,
        groupBy: ['version'],
        filters: { template: r.template, label: r.label },
      },
      figures,
    ),
  );
  const byVersion = new Map<string, VersionFigures>();
  for (const row of rows)
    byVersion.set(String(row.version), {
      calls: Number(row.calls),
      errors: Number(row.errors),
      values: row as VersionFigures['values'],
    });
  return byVersion;
}

/** The guards that broke, as people read them. */
export function breachSummary(breached: readonly GuardResult[]): string {
  return breached.map(describeResult).join('; ');
}

const ROLLBACK_ALERT = 'RolloutRolledBack';

/**
 * The rollback as an alert of the route tree (labels template, label, rollout): it fires in the transaction that moves
 * the label back, so the notification pipeline sends it like any alert, and resolves an hour later.
 */
export async function fireRollbackAlert(
  tx: Queryable,
  r: Rollout,
  summary: string,
  now = Date.now(),
): Promise<void> {
  const labels: Labels = {
    alertname: ROLLBACK_ALERT,
    severity: 'warning',
    template: r.template,
    label: r.label,
    rollout: r.id,
  };
  const at = new Date(now);
  const rule = `rollout:${r.id}/${ROLLBACK_ALERT}`;
  const fp = fingerprint(labels);
  const annotations = {
    summary: `${r.candidate} of ${r.template} (label ${r.label}) was rolled back to ${r.control}: ${summary}`,
  };
  await tx`insert into alert_instances (rule, fingerprint, labels, annotations, state, value, active_at, fired_at,
      last_evaluated_at)
    values (${rule}, ${fp}, ${tx.json(labels as never)}, ${tx.json(annotations as never)}, 'firing', null, ${at}, ${at}, ${at})
    on conflict (rule, fingerprint) do nothing`;
  await tx`insert into alert_history (rule, fingerprint, labels, from_state, to_state, value, at)
    values (${rule}, ${fp}, ${tx.json(labels as never)}, 'inactive', 'firing', null, ${at})`;
}

/** Resolves rollback alerts that have fired for an hour. */
async function resolveOldRollbackAlerts(sql: Sql, now: number): Promise<void> {
  const at = new Date(now);
  const resolved = await sql<{ rule: string; fingerprint: string; labels: Labels }[]>`update alert_instances
    set state = 'resolved', resolved_at = ${at}, last_evaluated_at = ${at}
    where rule like 'rollout:%' and state = 'firing' and fired_at < ${new Date(now - ROLLBACK_ALERT_MS)}
    returning rule, fingerprint, labels`;
  for (const r of resolved)
    await sql`insert into alert_history (rule, fingerprint, labels, from_state, to_state, value, at)
      values (${r.rule}, ${r.fingerprint}, ${sql.json(r.labels as never)}, 'firing', 'resolved', null, ${at})`;
}

/**
 * One pass over the running rollouts at `now`: each guard judged over the window, the state machine's decision
 * applied (a step, the promotion, a rollback with its alert, or nothing but the verdict recorded).
 */
export async function advanceRollouts(
  deps: { sql: Sql; clickhouse: ClickHouseClient; log: Logger },
  now: number,
) {
  await resolveOldRollbackAlerts(deps.sql, now);
  for (const r of await runningRollouts(deps.sql)) {
    try {
      const figures = await versionFigures(deps.clickhouse, r, now);
      const results = r.guards.map((g) => judge(g, figures.get(r.candidate), figures.get(r.control)));
      const decision = decide(r, now, results);
      const applied =
        decision.kind === 'rollback'
          ? { kind: 'rollback' as const, summary: breachSummary(decision.breached) }
          : decision;
      const after = await applyDecision(deps.sql, r.id, applied, results, now, (tx, rollout, summary) =>
        fireRollbackAlert(tx, rollout, summary, now),
      );
      if (after && (after.state !== r.state || after.step !== r.step))
        deps.log.info('rollout moved', {
          rollout: r.id,
          template: r.template,
          label: r.label,
          state: after.state,
          step: after.step + 1,
          reason: after.reason,
        });
    } catch (error) {
      deps.log.warn('rollout not advanced', { rollout: r.id, error: (error as Error).message });
    }
  }
}
