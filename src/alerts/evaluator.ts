import type { ClickHouseClient } from '../store/clickhouse.ts';
import { meets } from './condition.ts';
import { fingerprint, type Labels } from './labels.ts';
import { type MetricReader, RuleQueryError, runRuleQuery, type Sample } from './rule-query.ts';
import type { Rule, RuleGroup } from './rules.ts';
import { type Active, advance, type Instance, type Transition } from './state-machine.ts';
import type { RuleStatus } from './state-store.ts';
import { expandAll } from './templates.ts';

export interface EvaluationDeps {
  clickhouse: ClickHouseClient;
  metrics: MetricReader;
}

export interface RuleEvaluation {
  /** The rule's instances after this evaluation; undefined when they are kept as they were (keep_last). */
  instances: Map<string, Instance> | undefined;
  transitions: Transition[];
  status: RuleStatus;
}

/**
 * One evaluation of one rule at `ts` (Unix ms): its query reads up to `ts` minus the group's query offset; the
 * result, filtered by the condition, drives the state machine. A failing query (or one over the time limit) never
 * resolves anything: with `on_error: keep_last` (the default) the instances stay as they were and the rule's health
 * is `error`. An empty result is "no data": `no_data: ok` (the default) lets instances resolve, `keep_last` keeps
 * them, `alerting` fires one instance with `alertstate_reason="no_data"`.
 */
export async function evaluateRule(
  rule: Rule,
  group: RuleGroup,
  ts: number,
  previous: ReadonlyMap<string, Instance>,
  previousStatus: RuleStatus | undefined,
  deps: EvaluationDeps,
): Promise<RuleEvaluation> {
  const started = performance.now();
  const status = (health: RuleStatus['health'], error: string | null): RuleStatus => ({
    rule: rule.key,
    lastEvaluatedAt: ts,
    evaluationMs: Math.round((performance.now() - started) * 1000) / 1000,
    health,
    error,
    consecutiveErrors: error ? (previousStatus?.consecutiveErrors ?? 0) + 1 : 0,
  });
  let active: Map<string, Active>;
  let health: RuleStatus['health'] = 'ok';
  try {
    const samples = await runRuleQuery(rule, ts - group.queryOffsetMs, {
      ...deps,
      timeoutMs: group.queryTimeoutMs,
    });
    if (samples.length === 0) {
      health = 'nodata';
      if (rule.noData === 'keep_last')
        return { instances: undefined, transitions: [], status: status('nodata', null) };
      active = rule.noData === 'alerting' ? reasonInstance(rule, 'no_data') : new Map();
    } else {
      active = activeInstances(rule, group, samples);
    }
  } catch (error) {
    const message =
      error instanceof RuleQueryError ? error.message : String((error as Error).message ?? error);
    if (rule.onError === 'keep_last')
      return { instances: undefined, transitions: [], status: status('error', message) };
    active = reasonInstance(rule, 'error');
    for (const i of previous.values())
      if (i.state !== 'resolved')
        active.set(i.fingerprint, { labels: i.labels, annotations: i.annotations, value: i.value });
    const outcome = advance(previous, active, rule, ts);
    return { ...outcome, status: status('error', message) };
  }
  const outcome = advance(previous, active, rule, ts);
  return { ...outcome, status: status(health, null) };
}

/** Instances whose value meets the condition, by fingerprint; the final labels are the alert's identity. */
function activeInstances(rule: Rule, group: RuleGroup, samples: Sample[]): Map<string, Active> {
  const active = new Map<string, Active>();
  for (const sample of samples) {
    if (!meets(sample.value, rule.condition)) continue;
    const labels = finalLabels(rule, sample.labels, sample.value);
    const id = fingerprint(labels);
    if (active.has(id))
      throw new RuleQueryError(
        `two rows have the same labels ${JSON.stringify(labels)}: group by every label column (each row is one alert)`,
      );
    active.set(id, {
      labels,
      annotations: expandAll(rule.annotations, sample.labels, sample.value ?? undefined),
      value: sample.value === null ? null : Number(sample.value),
    });
  }
  if (group.limit > 0 && active.size > group.limit)
    throw new RuleQueryError(`${active.size} alerts exceed the group's limit of ${group.limit}`);
  return active;
}

function finalLabels(rule: Rule, sampleLabels: Labels, value: number | string | null): Labels {
  return {
    ...sampleLabels,
    ...expandAll(rule.labels, sampleLabels, value ?? undefined),
    alertname: rule.alert,
  };
}

/** The one instance a rule fires for no data or a failing query (no_data / on_error: alerting). */
function reasonInstance(rule: Rule, reason: 'no_data' | 'error'): Map<string, Active> {
  const labels = { ...finalLabels(rule, {}, null), alertstate_reason: reason };
  return new Map([
    [fingerprint(labels), { labels, annotations: expandAll(rule.annotations, {}, undefined), value: null }],
  ]);
}
