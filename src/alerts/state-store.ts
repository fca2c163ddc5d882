import type { Queryable, Sql } from '../store/postgres.ts';
import type { Labels } from './labels.ts';
import type { Instance, Transition } from './state-machine.ts';

/** Alert instance state, rule health and transition history in Postgres: a restart neither re-fires nor forgets. */

export interface RuleStatus {
  rule: string;
  lastEvaluatedAt: number;
  evaluationMs: number;
  health: 'ok' | 'error' | 'nodata';
  error: string | null;
  consecutiveErrors: number;
}

interface InstanceRow {
  rule: string;
  fingerprint: string;
  labels: Labels;
  annotations: Labels;
  state: Instance['state'];
  value: number | null;
  active_at: Date;
  fired_at: Date | null;
  resolved_at: Date | null;
  keep_firing_since: Date | null;
  last_evaluated_at: Date;
}

const ms = (d: Date | null) => (d ? d.getTime() : null);
const date = (n: number | null) => (n === null ? null : new Date(n));

function toInstance(r: InstanceRow): Instance {
  return {
    fingerprint: r.fingerprint,
    labels: r.labels,
    annotations: r.annotations,
    state: r.state,
    value: r.value,
    activeAt: r.active_at.getTime(),
    firedAt: ms(r.fired_at),
    resolvedAt: ms(r.resolved_at),
    keepFiringSince: ms(r.keep_firing_since),
    lastEvaluatedAt: r.last_evaluated_at.getTime(),
  };
}

export async function loadInstances(sql: Queryable, rule: string): Promise<Map<string, Instance>> {
  const rows = await sql<InstanceRow[]>`select * from alert_instances where rule = ${rule}`;
  return new Map(rows.map((r) => [r.fingerprint, toInstance(r)]));
}

/** Every stored instance, with its rule key. */
export async function allInstances(sql: Queryable): Promise<(Instance & { rule: string })[]> {
  const rows = await sql<InstanceRow[]>`select * from alert_instances order by rule, active_at`;
  return rows.map((r) => ({ rule: r.rule, ...toInstance(r) }));
}

/** Replaces a rule's instances with the evaluation's outcome, appends its transitions, records its health. */
export async function saveEvaluation(
  sql: Sql,
  rule: string,
  outcome: { instances: Map<string, Instance> | undefined; transitions: Transition[]; status: RuleStatus },
  at: number,
): Promise<void> {
  await sql.begin(async (tx) => {
    if (outcome.instances) {
      const keep = [...outcome.instances.keys()];
      await tx`delete from alert_instances where rule = ${rule} and not (fingerprint = any(${keep}::text[]))`;
      for (const i of outcome.instances.values()) {
        await tx`insert into alert_instances ${tx({
          rule,
          fingerprint: i.fingerprint,
          labels: tx.json(i.labels) as never,
          annotations: tx.json(i.annotations) as never,
          state: i.state,
          value: i.value,
          active_at: new Date(i.activeAt),
          fired_at: date(i.firedAt),
          resolved_at: date(i.resolvedAt),
          keep_firing_since: date(i.keepFiringSince),
          last_evaluated_at: new Date(i.lastEvaluatedAt),
        })}
        on conflict (rule, fingerprint) do update set labels = excluded.labels, annotations = excluded.annotations,
          state = excluded.state, value = excluded.value, active_at = excluded.active_at, fired_at = excluded.fired_at,
          resolved_at = excluded.resolved_at, keep_firing_since = excluded.keep_firing_since,
          last_evaluated_at = excluded.last_evaluated_at`;
      }
    }
    for (const t of outcome.transitions) {
      await tx`insert into alert_history (rule, fingerprint, labels, from_state, to_state, value, at)
        values (${rule}, ${t.fingerprint}, ${tx.json(t.labels) as never}, ${t.from}, ${t.to}, ${t.value}, ${new Date(at)})`;
    }
    const s = outcome.status;
    await tx`insert into alert_rule_status (rule, last_evaluated_at, evaluation_ms, health, error, consecutive_errors)
      values (${rule}, ${new Date(s.lastEvaluatedAt)}, ${s.evaluationMs}, ${s.health}, ${s.error}, ${s.consecutiveErrors})
      on conflict (rule) do update set last_evaluated_at = excluded.last_evaluated_at, evaluation_ms = excluded.evaluation_ms,
        health = excluded.health, error = excluded.error, consecutive_errors = excluded.consecutive_errors`;
  });
}

export async function ruleStatuses(sql: Queryable): Promise<Map<string, RuleStatus>> {
  const rows = await sql<
    {
      rule: string;
      last_evaluated_at: Date;
      evaluation_ms: number;
      health: RuleStatus['health'];
      error: string | null;
      consecutive_errors: number;
    }[]
  >`select * from alert_rule_status`;
  return new Map(
    rows.map((r) => [
      r.rule,
      {
        rule: r.rule,
        lastEvaluatedAt: r.last_evaluated_at.getTime(),
        evaluationMs: r.evaluation_ms,
        health: r.health,
        error: r.error,
        consecutiveErrors: r.consecutive_errors,
      },
    ]),
  );
}

export interface HistoryEntry {
  id: string;
  rule: string;
  fingerprint: string;
  labels: Labels;
  from: string;
  to: string;
  value: number | null;
  at: Date;
}

export async function alertHistory(
  sql: Queryable,
  filter: { rule?: string; from?: Date; to?: Date; limit: number },
): Promise<HistoryEntry[]> {
  const rows = await sql<
    {
      id: string;
      rule: string;
      fingerprint: string;
      labels: Labels;
      from_state: string;
      to_state: string;
      value: number | null;
      at: Date;
    }[]
  >`select * from alert_history
    where (${filter.rule ?? null}::text is null or rule = ${filter.rule ?? null})
      and (${filter.from ?? null}::timestamptz is null or at >= ${filter.from ?? null})
      and (${filter.to ?? null}::timestamptz is null or at < ${filter.to ?? null})
    order by at desc, id desc limit ${filter.limit}`;
  return rows.map((r) => ({
    id: String(r.id),
    rule: r.rule,
    fingerprint: r.fingerprint,
    labels: r.labels,
    from: r.from_state,
    to: r.to_state,
    value: r.value,
    at: r.at,
  }));
}

/** How long delivered or given-up notifications and state changes are kept. */
export const KEEP = { outboxMs: 7 * 86_400_000, historyMs: 90 * 86_400_000 };

/** Forgets old notifications, routed template events and history, so the alert tables stay bounded. */
export async function pruneAlertRecords(sql: Queryable, now: number): Promise<void> {
  const outbox = new Date(now - KEEP.outboxMs);
  await sql`delete from alert_outbox where delivered_at < ${outbox} or failed_at < ${outbox}`;
  await sql`delete from alert_history where at < ${new Date(now - KEEP.historyMs)}`;
  // A routed template event lives on in the outbox, the label history and the audit log.
  await sql`delete from template_events where routed_at < ${outbox}`;
}
