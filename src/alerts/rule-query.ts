import { PARAMETER_RANGE, sliceConditions, USAGE_FIGURES, usageSql } from '../analytics/figures.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { budgetSamples } from './budgets.ts';
import type { Labels } from './labels.ts';
import type { Rule, RuleQuery } from './rules.ts';

/** One row of a rule's result: an alert instance candidate, before the condition. */
export interface Sample {
  labels: Labels;
  /** Numbers as numbers; exact decimals (cost) as their decimal text. */
  value: number | string | null;
}

/** Collector self-metrics at an evaluation time: gauges as scraped, counters as an increase over a window. */
export interface MetricReader {
  read(metric: string, ts: number, increaseMs: number | undefined): Promise<Sample[]>;
}

export class RuleQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleQueryError';
  }
}

/** The ClickHouse SQL and parameters of a figure or SQL rule, evaluated at `at` (Unix ms, after the query offset). */
export function ruleSql(query: Extract<RuleQuery, { kind: 'figure' | 'sql' }>, at: number) {
  if (query.kind === 'sql')
    return { sql: query.sql, params: { now_ms: at } as Record<string, string | number> };
  const from = query.window === 'today' ? startOfUtcDay(at) : at - query.window;
  const where = sliceConditions({ from, to: at, filters: query.where });
  const sql = usageSql({
    range: PARAMETER_RANGE,
    groupBy: query.by,
    conditions: where.conditions,
    columns: [`${USAGE_FIGURES[query.figure]} AS value`, 'toUInt64(sum(calls)) AS calls_in_window'],
    having: 'calls_in_window >= {min_calls:UInt64}',
    // Windows of minutes are read from llm_calls; today's spend reads the hours the rollup already holds (unless the
    // rule groups or filters by who and what, which the rollup does not keep).
    rollup: query.window === 'today' && where.rollupHolds,
  });
  return { sql, params: { ...where.params, min_calls: query.minCalls } };
}

/** Runs a rule's query at evaluation time `at`; a hung query is cancelled after `timeoutMs`. */
export async function runRuleQuery(
  rule: Rule,
  at: number,
  deps: { clickhouse: ClickHouseClient; metrics: MetricReader; timeoutMs: number },
): Promise<Sample[]> {
  if (rule.query.kind === 'metric') return deps.metrics.read(rule.query.metric, at, rule.query.increaseMs);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), deps.timeoutMs);
  try {
    if (rule.query.kind === 'budget')
      return await budgetSamples(deps.clickhouse, rule.query.budget, rule.query.measure, at, abort.signal);
    const { sql, params } = ruleSql(rule.query, at);
    const rs = await deps.clickhouse.query({
      query: sql,
      query_params: params,
      format: 'JSONEachRow',
      abort_signal: abort.signal,
      clickhouse_settings: {
        max_execution_time: Math.ceil(deps.timeoutMs / 1000),
        output_format_json_quote_64bit_integers: 0,
      },
    });
    return (await rs.json<Record<string, unknown>>()).map((row) => toSample(row));
  } catch (error) {
    if (abort.signal.aborted)
      throw new RuleQueryError(`the query did not finish within ${deps.timeoutMs / 1000}s`);
    if (error instanceof RuleQueryError) throw error;
    throw new RuleQueryError((error as Error).message.split('\n')[0]!);
  } finally {
    clearTimeout(timer);
  }
}

function toSample(row: Record<string, unknown>): Sample {
  if (!('value' in row))
    throw new RuleQueryError(`the query returns no 'value' column (columns: ${Object.keys(row).join(', ')})`);
  const labels: Labels = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'value' || k === 'calls_in_window') continue;
    labels[k] = v === null ? '' : String(v);
  }
  const v = row.value;
  if (v !== null && typeof v !== 'number' && !(typeof v === 'string' && Number.isFinite(Number(v))))
    throw new RuleQueryError(`the 'value' column must be a number, got ${JSON.stringify(v)}`);
  return { labels, value: v as number | string | null };
}

function startOfUtcDay(ms: number): number {
  return ms - (ms % 86_400_000);
}
