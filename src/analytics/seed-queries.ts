import { QUERY_SETTINGS, type Query } from './figures.ts';

/**
 * The seed application's four monitoring queries, with the columns exactly as the seed defines them, over the
 * `prompt_executions` view (the seed's column names over llm_calls FINAL, so each span counts once). Each covers
 * the window before `to` (the seed's own window unless another is given) and may be narrowed to one template.
 */
export const SEED_REPORTS = {
  'last-hour-metrics': {
    title: 'Recent execution metrics',
    windowSeconds: 3600,
    select: `
    SELECT count() AS total_executions,
           countIf(success = 1) AS successful_executions,
           countIf(success = 0) AS failed_executions,
           round(avg(response_time_ms), 2) AS avg_response_time_ms,
           quantileExact(0.95)(response_time_ms) AS p95_response_time_ms,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd
    FROM prompt_executions`,
    tail: '',
  },
  'cost-by-template': {
    title: 'Cost by template, most expensive first',
    windowSeconds: 86_400,
    select: `
    SELECT template_name,
           count() AS executions,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd,
           countIf(cost_status = 'unpriced') AS unpriced_executions
    FROM prompt_executions`,
    tail: 'GROUP BY template_name ORDER BY sum(ifNull(cost_usd, 0)) DESC, template_name',
  },
  'hourly-error-rate': {
    title: 'Error rate per hour',
    windowSeconds: 86_400,
    select: `
    SELECT toStartOfHour(executed_at) AS hour,
           count() AS executions,
           countIf(success = 0) AS errors,
           round(countIf(success = 0) / count(), 4) AS error_rate
    FROM prompt_executions`,
    tail: 'GROUP BY hour ORDER BY hour',
  },
  'daily-cost': {
    title: 'Daily cost, P95 latency and success rate',
    windowSeconds: 30 * 86_400,
    select: `
    SELECT toDate(executed_at) AS day,
           count() AS executions,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd,
           quantileExact(0.95)(response_time_ms) AS p95_response_time_ms,
           round(countIf(success = 1) / count(), 4) AS success_rate
    FROM prompt_executions`,
    tail: 'GROUP BY day ORDER BY day',
  },
} as const;

export type SeedReport = keyof typeof SEED_REPORTS;
export const SEED_REPORT_NAMES = Object.keys(SEED_REPORTS) as SeedReport[];

/** One seed report over `windowSeconds` (default: the seed's) before `to` (Unix ms), optionally for one template. */
export function seedQuery(
  name: SeedReport,
  o: { to: number; windowSeconds?: number; template?: string },
): Query {
  const report = SEED_REPORTS[name];
  const windowSeconds = o.windowSeconds ?? report.windowSeconds;
  return {
    sql: `${report.select}
    WHERE executed_at >= fromUnixTimestamp64Milli({from:Int64}) AND executed_at < fromUnixTimestamp64Milli({to:Int64})
      AND ({template:String} = '' OR template_name = {template:String})
    ${report.tail}
    ${QUERY_SETTINGS}`,
    params: { from: o.to - windowSeconds * 1000, to: o.to, template: o.template ?? '' },
  };
}
