import { QUERY_SETTINGS, type Query, TEST_RUN_FILTER, type TestRuns } from './figures.ts';

/**
 * The monitoring queries of the original specification, by name, columns, order and window, over the
 * `prompt_executions` view (its column names over llm_calls FINAL, so each span counts once). The specification
 * wrote them for PostgreSQL: `AVG` and `SUM` skip NULL costs (an unpriced call), and the P95 is
 * `PERCENTILE_CONT(0.95)` — linear interpolation between the two nearest ranks, which is ClickHouse's
 * `quantileExactInclusive`. Columns after the specification's (`unpriced_executions`) are ours. Admin test runs are
 * left out unless asked for, as in every other figure.
 */
export const REPORTS = {
  'last-hour-metrics': {
    title: 'Last hour: executions, latency and cost',
    windowSeconds: 3600,
    select: `
    SELECT count() AS total_executions,
           countIf(success = 1) AS successful,
           countIf(success = 0) AS failed,
           round(avg(response_time_ms), 2) AS avg_latency_ms,
           round(quantileExactInclusive(0.95)(response_time_ms), 2) AS p95_latency_ms,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd,
           countIf(cost_status = 'unpriced') AS unpriced_executions
    FROM prompt_executions`,
    tail: '',
  },
  'cost-by-template': {
    title: 'Cost by template, dearest first',
    windowSeconds: 86_400,
    select: `
    SELECT template_name,
           count() AS executions,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd,
           if(count(cost_usd) = 0, NULL, toString(sum(ifNull(cost_usd, 0)) / count(cost_usd))) AS avg_cost_usd,
           round(avg(response_time_ms), 2) AS avg_latency_ms,
           countIf(cost_status = 'unpriced') AS unpriced_executions
    FROM prompt_executions`,
    tail: 'GROUP BY template_name ORDER BY sum(ifNull(cost_usd, 0)) DESC, template_name',
  },
  'hourly-error-rate': {
    title: 'Error rate per hour, newest first',
    windowSeconds: 86_400,
    select: `
    SELECT toStartOfHour(executed_at) AS hour,
           count() AS total,
           countIf(success = 0) AS errors,
           round(countIf(success = 0) * 100 / count(), 2) AS error_rate_pct
    FROM prompt_executions`,
    tail: 'GROUP BY hour ORDER BY hour DESC',
  },
  'daily-cost': {
    title: 'Daily cost per template, newest day first, then dearest',
    windowSeconds: 7 * 86_400,
    select: `
    SELECT toDate(executed_at) AS date,
           template_name,
           count() AS executions,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd,
           if(count(cost_usd) = 0, NULL, toString(sum(ifNull(cost_usd, 0)) / count(cost_usd))) AS avg_cost_usd,
           round(quantileExactInclusive(0.95)(response_time_ms), 2) AS p95_latency_ms,
           round(countIf(success = 1) * 100 / count(), 2) AS success_rate_pct,
           countIf(cost_status = 'unpriced') AS unpriced_executions
    FROM prompt_executions`,
    tail: 'GROUP BY date, template_name ORDER BY date DESC, sum(ifNull(cost_usd, 0)) DESC, template_name',
  },
} as const;

export type ReportName = keyof typeof REPORTS;
export const REPORT_NAMES = Object.keys(REPORTS) as ReportName[];

/** One report over `windowSeconds` (default: the specification's) before `to` (Unix ms). */
export function reportQuery(
  name: ReportName,
  o: {
    to: number;
    windowSeconds?: number;
    template?: string;
    testRuns?: TestRuns;
    /** Only the calls of this tenant, user or session (llm_calls' attribution; the view keeps the spec's columns). */
    who?: { tenant?: string; user?: string; session?: string };
  },
): Query {
  const report = REPORTS[name];
  const windowSeconds = o.windowSeconds ?? report.windowSeconds;
  return {
    sql: `${report.select}
    WHERE executed_at >= fromUnixTimestamp64Milli({from:Int64}) AND executed_at < fromUnixTimestamp64Milli({to:Int64})
      AND ({template:String} = '' OR template_name = {template:String})
      AND ${TEST_RUN_FILTER}${whoFilter(o.who)}
    ${report.tail}
    ${QUERY_SETTINGS}`,
    params: {
      from: o.to - windowSeconds * 1000,
      to: o.to,
      template: o.template ?? '',
      test_runs: o.testRuns ?? 'exclude',
      ...Object.fromEntries(Object.entries(o.who ?? {}).map(([k, v]) => [`who_${k}`, v ?? ''])),
    },
  };
}

const WHO_COLUMNS = { tenant: 'tenant', user: 'user_id', session: 'session_id' } as const;

/** The report's calls narrowed to those of a tenant, user or session, by span id (`id` is the span id). */
function whoFilter(who: { tenant?: string; user?: string; session?: string } | undefined): string {
  const given = Object.entries(who ?? {}).filter(([, v]) => v !== undefined) as [
    keyof typeof WHO_COLUMNS,
    string,
  ][];
  if (given.length === 0) return '';
  const conditions = given.map(([k]) => `${WHO_COLUMNS[k]} = {who_${k}:String}`).join(' AND ');
  // GLOBAL: over Distributed tables on a cluster, the spans' ids are gathered once (a plain IN is refused there).
  return `
      AND id GLOBAL IN (SELECT span_id FROM llm_calls WHERE ${conditions}
        AND timestamp >= fromUnixTimestamp64Milli({from:Int64}) AND timestamp < fromUnixTimestamp64Milli({to:Int64}))`;
}
