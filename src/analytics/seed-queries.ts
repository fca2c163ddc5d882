/**
 * The seed application's monitoring queries, translated to ClickHouse SQL over the `prompt_executions` view (which
 * keeps the seed's column names). `{now:DateTime64(3)}` is the reference time.
 */
export const SEED_QUERIES = {
  /** Recent execution metrics: the last hour. */
  lastHourMetrics: `
    SELECT count() AS total_executions,
           countIf(success = 1) AS successful_executions,
           countIf(success = 0) AS failed_executions,
           round(avg(response_time_ms), 2) AS avg_response_time_ms,
           quantileExact(0.95)(response_time_ms) AS p95_response_time_ms,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd
    FROM prompt_executions
    WHERE executed_at >= {now:DateTime64(3)} - INTERVAL 1 HOUR AND executed_at <= {now:DateTime64(3)}`,
  /** Cost by template over 24 hours, most expensive first. */
  costByTemplate24h: `
    SELECT template_name,
           count() AS executions,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd,
           countIf(cost_usd IS NULL) AS unpriced_executions
    FROM prompt_executions
    WHERE executed_at >= {now:DateTime64(3)} - INTERVAL 24 HOUR AND executed_at <= {now:DateTime64(3)}
    GROUP BY template_name
    ORDER BY sum(ifNull(cost_usd, 0)) DESC, template_name`,
  /** Error rate per hour. */
  hourlyErrorRate: `
    SELECT toStartOfHour(executed_at) AS hour,
           count() AS executions,
           countIf(success = 0) AS errors,
           round(countIf(success = 0) / count(), 4) AS error_rate
    FROM prompt_executions
    WHERE executed_at >= {now:DateTime64(3)} - INTERVAL 24 HOUR AND executed_at <= {now:DateTime64(3)}
    GROUP BY hour
    ORDER BY hour`,
  /** Daily cost with P95 latency and success rate. */
  dailyCostP95SuccessRate: `
    SELECT toDate(executed_at) AS day,
           count() AS executions,
           toString(sum(ifNull(cost_usd, 0))) AS total_cost_usd,
           quantileExact(0.95)(response_time_ms) AS p95_response_time_ms,
           round(countIf(success = 1) / count(), 4) AS success_rate
    FROM prompt_executions
    WHERE executed_at >= {now:DateTime64(3)} - INTERVAL 30 DAY AND executed_at <= {now:DateTime64(3)}
    GROUP BY day
    ORDER BY day`,
} as const;
