import { DIMENSIONS, type Dimension, QUERY_SETTINGS, USAGE_FIGURES, type UsageFigure } from './figures.ts';

/**
 * The figures of `figures.ts` in the form the Grafana ClickHouse plugin runs: its macros for the time range and
 * interval, dashboard variables for filters, instead of query parameters. Only the WHERE and the bucket differ; the
 * figure expressions are the same strings.
 */

/** The dashboards' datasource: provisioned with this uid (dashboards/provisioning/datasources). */
export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: 'promptscope-clickhouse' } as const;

/** Dashboard buckets: Grafana's interval, or calendar days and hours (UTC). */
export type GrafanaBucket = 'interval' | 'hour' | 'day';

const BUCKET: Record<GrafanaBucket, string> = {
  interval: 'toStartOfInterval(timestamp, INTERVAL $__interval_s second)',
  hour: "toStartOfHour(timestamp, 'UTC')",
  day: "toStartOfDay(timestamp, 'UTC')",
};

/** Cost figures are exact decimal strings in the API; a chart needs numbers. */
const NUMERIC: Partial<Record<UsageFigure, string>> = {
  cost: USAGE_FIGURES.cost.replace(/^toString\(/, 'toFloat64('),
  cost_per_call: USAGE_FIGURES.cost_per_call.replace(/^toString\(/, 'toFloat64('),
  cost_per_1k_calls: USAGE_FIGURES.cost_per_1k_calls.replace(/^toString\(/, 'toFloat64('),
};

/** The WHERE of every panel: the dashboard's time range, each variable (All = no filter), no admin test runs. */
export function grafanaWhere(filters: readonly Dimension[]): string {
  return [
    '$__timeFilter_ms(timestamp)',
    'test_run = 0',
    ...filters.map((d) => `$__conditionalAll(${DIMENSIONS[d]} IN (\${${d}:singlequote}), $${d})`),
  ].join('\n  AND ');
}

export interface PanelQuery {
  figures: readonly UsageFigure[];
  bucket?: GrafanaBucket;
  groupBy?: readonly Dimension[];
  filters: readonly Dimension[];
}

/** A usage panel's SQL: `time` (when bucketed), the groups, then the figures, ordered by time and group. */
export function grafanaUsageSql(q: PanelQuery): string {
  const keys = [
    ...(q.bucket ? [`${BUCKET[q.bucket]} AS time`] : []),
    ...(q.groupBy ?? []).map((d) => `${DIMENSIONS[d]} AS ${d}`),
  ];
  const names = [...(q.bucket ? ['time'] : []), ...(q.groupBy ?? [])];
  const figures = q.figures.map((f) => `${NUMERIC[f] ?? USAGE_FIGURES[f]} AS ${f}`);
  return `SELECT ${[...keys, ...figures].join(',\n  ')}
FROM llm_calls FINAL
WHERE ${grafanaWhere(q.filters)}
${names.length ? `GROUP BY ${names.join(', ')}\nORDER BY ${names.join(', ')}\n` : ''}${QUERY_SETTINGS}`;
}

/**
 * The A/B panel: per split label and variant, calls, errors, error rate with its 95% Wilson interval, p95 latency
 * and cost per call, and against the control (the first variant by name, as the API's default) the error-rate
 * difference with the two-sided p-value of a pooled two-proportion z-test and whether it is significant at 0.05 —
 * the API's numbers (`/api/v1/analytics/ab`). Cost and tokens per call (Welch's t-test) are compared in the API and
 * the built-in page.
 */
export function grafanaAbSql(filters: readonly Dimension[]): string {
  const z = '1.959963984540054';
  const pooled = '(errors + control_errors) / (calls + control_calls)';
  const se = `sqrt(${pooled} * (1 - ${pooled}) * (1 / calls + 1 / control_calls))`;
  const p = `if(${se} = 0, if(errors / calls = control_errors / control_calls, 1, 0), erfc(abs(errors / calls - control_errors / control_calls) / ${se} / sqrt(2)))`;
  return `SELECT label, variant, calls, errors,
  round(errors / calls, 6) AS error_rate,
  round(greatest(0, ((errors / calls) + ${z} * ${z} / (2 * calls) - ${z} * sqrt((errors / calls) * (1 - errors / calls) / calls + ${z} * ${z} / (4 * calls * calls))) / (1 + ${z} * ${z} / calls)), 6) AS error_rate_ci95_low,
  round(least(1, ((errors / calls) + ${z} * ${z} / (2 * calls) + ${z} * sqrt((errors / calls) * (1 - errors / calls) / calls + ${z} * ${z} / (4 * calls * calls))) / (1 + ${z} * ${z} / calls)), 6) AS error_rate_ci95_high,
  p95_ms, cost_per_call,
  if(variant = control, NULL, round(errors / calls - control_errors / control_calls, 6)) AS error_rate_vs_control,
  if(variant = control, NULL, round(${p}, 6)) AS error_rate_p_value,
  if(variant = control, NULL, ${p} < 0.05) AS significant
FROM (
  SELECT *,
    first_value(variant) OVER w AS control,
    first_value(calls) OVER w AS control_calls,
    first_value(errors) OVER w AS control_errors
  FROM (
    SELECT prompt_label AS label, prompt_variant AS variant,
      toUInt64(count()) AS calls,
      toUInt64(countIf(success = 0)) AS errors,
      round(quantileExactLow(0.95)(duration_ns) / 1e6, 3) AS p95_ms,
      ${NUMERIC.cost_per_call} AS cost_per_call
    FROM llm_calls FINAL
    WHERE ${grafanaWhere(filters)}
      AND prompt_variant != ''
    GROUP BY label, variant
  )
  WINDOW w AS (PARTITION BY label ORDER BY variant ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
ORDER BY label, variant
${QUERY_SETTINGS}`;
}

/** The most expensive calls (the API's top-calls figure). */
export function grafanaTopCallsSql(filters: readonly Dimension[], limit = 20): string {
  return `SELECT timestamp AS time, prompt_name AS template, prompt_version AS version, request_model AS model,
  service_name AS service, toFloat64(assumeNotNull(cost_amount)) AS cost, cost_currency AS currency,
  input_tokens, output_tokens, round(duration_ns / 1e6, 3) AS duration_ms, trace_id, span_id
FROM llm_calls FINAL
WHERE ${grafanaWhere(filters)} AND cost_amount IS NOT NULL
ORDER BY cost_amount DESC, timestamp DESC
LIMIT ${limit}
${QUERY_SETTINGS}`;
}

/** A query variable's values: the distinct values of a dimension in the time range, busiest first. */
export function grafanaVariableSql(d: Dimension, filters: readonly Dimension[] = []): string {
  return `SELECT ${DIMENSIONS[d]} FROM llm_calls WHERE ${grafanaWhere(filters)} AND ${DIMENSIONS[d]} != '' GROUP BY ${DIMENSIONS[d]} ORDER BY count() DESC LIMIT 200`;
}
