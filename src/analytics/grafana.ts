import {
  type Buckets,
  DIMENSIONS,
  type Dimension,
  type Key,
  type TimeRange,
  topCallsSql,
  USAGE_FIGURES,
  type UsageFigure,
  usageColumns,
  usageSql,
} from './figures.ts';

/**
 * The figures of `figures.ts` in the form the Grafana ClickHouse plugin runs: its macros for the time range and
 * interval, dashboard variables for filters, instead of query parameters. Only the WHERE and the bucket differ; the
 * figure expressions are the same strings. No query sends SETTINGS: the plugin's docs recommend a `readonly=1` user,
 * which may not change settings (dashboards/readonly.test.ts runs every panel and variable as one).
 */

/** The datasource provisioned by dashboards/provisioning (its uid), the dashboards' default. */
export const PROVISIONED_DATASOURCE_UID = 'promptscope-clickhouse';

/**
 * What panels and variables query: the dashboard's `datasource` variable (defaulting to the provisioned one), so a
 * dashboard imported through Grafana's UI runs on whichever ClickHouse datasource the user picks.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, resolved by Grafana
export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' } as const;

/** Dashboard buckets: Grafana's interval, or calendar days and hours (UTC). */
export type GrafanaBucket = 'interval' | 'hour' | 'day';

/**
 * Grafana's interval, in seconds, as buckets use it: from 30 minutes up it is rounded up to whole hours, so a long
 * range is charted from the hourly rollup (a month is 30-minute points in a 1,000-pixel panel; hourly ones instead).
 */
const INTERVAL_S = 'if($__interval_s < 1800, $__interval_s, intDiv($__interval_s + 3599, 3600) * 3600)';

const BUCKETS: Record<GrafanaBucket, Buckets> = {
  interval: {
    start: (t) => `toStartOfInterval(${t}, INTERVAL ${INTERVAL_S} second)`,
    wholeHours: `${INTERVAL_S} % 3600 = 0`,
  },
  hour: { start: (t) => `toStartOfHour(${t}, 'UTC')`, wholeHours: true },
  day: { start: (t) => `toStartOfDay(${t}, 'UTC')`, wholeHours: true },
};

/** The dashboard's time range, as the plugin's macros (its time filter includes the end). */
const DASHBOARD_RANGE: TimeRange = { from: '$__fromTime_ms', to: '$__toTime_ms', toInclusive: true };

/** Cost figures are exact decimal strings in the API; a chart needs numbers. */
const NUMERIC: Partial<Record<UsageFigure, string>> = {
  cost: USAGE_FIGURES.cost.replace(/^toString\(/, 'toFloat64('),
  cost_per_call: USAGE_FIGURES.cost_per_call.replace(/^toString\(/, 'toFloat64('),
  cost_per_success: USAGE_FIGURES.cost_per_success.replace(/^toString\(/, 'toFloat64('),
  cost_per_1k_calls: USAGE_FIGURES.cost_per_1k_calls.replace(/^toString\(/, 'toFloat64('),
};

/** The variables' filters (All = no filter) and no admin test runs: conditions on llm_calls and rollup rows alike. */
function grafanaConditions(filters: readonly Dimension[]): string[] {
  return [
    'test_run = 0',
    ...filters.map((d) => `$__conditionalAll(${DIMENSIONS[d]} IN (\${${d}:singlequote}), $${d})`),
  ];
}

/** The WHERE of the panels that read llm_calls itself: the dashboard's time range and grafanaConditions. */
export function grafanaWhere(filters: readonly Dimension[]): string {
  return ['$__timeFilter_ms(timestamp)', ...grafanaConditions(filters)].join('\n  AND ');
}

export interface PanelQuery {
  figures: readonly UsageFigure[];
  bucket?: GrafanaBucket;
  groupBy?: readonly Dimension[];
  filters: readonly Dimension[];
}

/** A usage panel's SQL (usageSql): `time` (when bucketed), the groups, then the figures, ordered by time and group. */
export function grafanaUsageSql(q: PanelQuery): string {
  return usageSql({
    range: DASHBOARD_RANGE,
    buckets: q.bucket ? BUCKETS[q.bucket] : undefined,
    bucketColumn: (t) => `${t} AS time`,
    groupBy: q.groupBy ?? [],
    conditions: grafanaConditions(q.filters),
    columns: usageColumns(q.figures, NUMERIC),
    settings: false,
  });
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
    ${usageSql({
      range: DASHBOARD_RANGE,
      groupBy: ['label', 'variant'],
      conditions: [...grafanaConditions(filters), "prompt_variant != ''"],
      columns: usageColumns(['calls', 'errors', 'p95_ms', 'cost_per_call'], NUMERIC),
      settings: false,
    })}
  )
  WINDOW w AS (PARTITION BY label ORDER BY variant ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
ORDER BY label, variant`;
}

/** The most expensive calls (the API's top-calls figure, topCallsSql). */
export function grafanaTopCallsSql(filters: readonly Dimension[], limit = 20): string {
  return topCallsSql({
    range: DASHBOARD_RANGE,
    conditions: grafanaConditions(filters),
    limit: String(limit),
    settings: false,
    columns: [
      'timestamp AS time',
      'prompt_name AS template',
      'prompt_version AS version',
      'request_model AS model',
      'service_name AS service',
      'toFloat64(assumeNotNull(cost_amount)) AS cost',
      'cost_currency AS currency',
      'input_tokens',
      'output_tokens',
      'round(duration_ns / 1e6, 3) AS duration_ms',
      'trace_id',
      'span_id',
    ],
  });
}

/** A query variable's values: the distinct values of a dimension in the time range, busiest first. */
export function grafanaVariableSql(d: Dimension, filters: readonly Dimension[] = []): string {
  return `SELECT ${DIMENSIONS[d]} FROM llm_calls WHERE ${grafanaWhere(filters)} AND ${DIMENSIONS[d]} != '' GROUP BY ${DIMENSIONS[d]} ORDER BY count() DESC LIMIT 200`;
}

/** The tenant variable's filter: only the who panels take it (the rollup the others read keeps no tenant). */
const TENANT_CONDITION = `$__conditionalAll(tenant IN (\${tenant:singlequote}), $tenant)`;

/**
 * Who spent it: the groups of one key that cost most in the dashboard's range (top 20), read from llm_calls (the
 * hourly rollup keeps no attribution), as the API's `group_by=<key>&order_by=cost&limit=20`; the tenant variable
 * filters them.
 */
export function grafanaWhoSql(key: Key, filters: readonly Dimension[]): string {
  return usageSql({
    range: DASHBOARD_RANGE,
    groupBy: [key],
    conditions: [...grafanaConditions(filters), TENANT_CONDITION],
    columns: usageColumns(['calls', 'cost'], NUMERIC),
    rollup: false, // the tenant condition is on llm_calls only
    orderBy: 'cost',
    limit: 20,
    settings: false,
  });
}

/** Cost by the values of one property, named by the dashboard's `property` text box, as `group_by=property.<name>`. */
export function grafanaPropertySql(filters: readonly Dimension[]): string {
  const placeholder = '__PROPERTY__';
  return grafanaWhoSql(`property.${placeholder}`, filters)
    .replaceAll(`properties['${placeholder}']`, () => `properties[\${property:singlequote}]`)
    .replaceAll(`\`property.${placeholder}\``, () => 'value');
}

/** The tenants in the dashboard's range, busiest first. */
export function grafanaTenantVariableSql(filters: readonly Dimension[]): string {
  return `SELECT tenant FROM llm_calls WHERE ${grafanaWhere(filters)} AND tenant != '' GROUP BY tenant ORDER BY count() DESC LIMIT 200`;
}

/**
 * Every budget group of the current periods, fullest first: the state the active scheduler writes to budget_status
 * after each evaluation of a budget (src/alerts/budget-status.ts).
 */
export function grafanaBudgetsSql(): string {
  return `SELECT budget,
       arrayStringConcat(arrayMap((k, v) -> concat(k, '=', v), mapKeys(group_labels), mapValues(group_labels)), ', ') AS group,
       toFloat64(amount) AS amount,
       toFloat64(spent) AS spent,
       toFloat64(projected) AS projected,
       toFloat64(remaining) AS remaining,
       spent_share,
       concat(period, ' (', time_zone, ')') AS period
FROM budget_status FINAL
WHERE period_start <= now64(3) AND period_end > now64(3)
ORDER BY spent_share DESC, budget, group
LIMIT 200`;
}
