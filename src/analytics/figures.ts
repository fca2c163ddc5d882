import type { ClickHouseClient } from '../store/clickhouse.ts';

/**
 * Every analytics figure, defined once as ClickHouse SQL over `llm_calls`: the API, the report CLI (and the
 * dashboards and alert rules that come next) take their SQL from here. Each span counts once in every figure:
 * `llm_calls` is read with FINAL, which collapses a span that reached ClickHouse twice.
 */

export const STEPS = ['minute', 'hour', 'day'] as const;
export type Step = (typeof STEPS)[number];

const STEP_FUNCTION: Record<Step, string> = {
  minute: 'toStartOfMinute',
  hour: 'toStartOfHour',
  day: 'toStartOfDay',
};

/** What a figure can be grouped and filtered by: the API's name → the llm_calls column. */
export const DIMENSIONS = {
  template: 'prompt_name',
  version: 'prompt_version',
  label: 'prompt_label',
  variant: 'prompt_variant',
  model: 'request_model',
  provider: 'provider',
  service: 'service_name',
  environment: 'environment',
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

export const TEST_RUNS = ['exclude', 'include', 'only'] as const;
export type TestRuns = (typeof TEST_RUNS)[number];

/** Admin test runs (promptscope.test_run) are not a service's traffic: left out unless asked for. */
export const TEST_RUN_FILTER = `({test_runs:String} = 'include' OR test_run = if({test_runs:String} = 'only', 1, 0))`;

/** Which calls a figure covers and how it slices them. */
export interface Slice {
  /** Unix milliseconds, from inclusive, to exclusive. */
  from: number;
  to: number;
  /** Buckets in UTC; none for one row per group over the whole range. */
  step?: Step;
  groupBy?: Dimension[];
  filters?: Partial<Record<Dimension, string>>;
  /** Admin test runs (promptscope.test_run): left out by default. */
  testRuns?: TestRuns;
}

export interface Query {
  sql: string;
  params: Record<string, string | number>;
}

/** The WHERE clause of a slice, with its parameters (values never enter the SQL text). */
export function sliceWhere(slice: Slice): Query {
  const params: Record<string, string | number> = {
    from: slice.from,
    to: slice.to,
    test_runs: slice.testRuns ?? 'exclude',
  };
  const parts = [
    'timestamp >= fromUnixTimestamp64Milli({from:Int64})',
    'timestamp < fromUnixTimestamp64Milli({to:Int64})',
    TEST_RUN_FILTER,
  ];
  for (const [name, value] of Object.entries(slice.filters ?? {}) as [Dimension, string | undefined][]) {
    if (value === undefined) continue;
    params[`f_${name}`] = value;
    parts.push(`${DIMENSIONS[name]} = {f_${name}:String}`);
  }
  return { sql: parts.join(' AND '), params };
}

/** The bucket and group columns of a slice (SELECT list, GROUP BY and ORDER BY share them). */
function keys(slice: Slice): { select: string[]; names: string[] } {
  const select: string[] = [];
  const names: string[] = [];
  if (slice.step) {
    select.push(
      `formatDateTime(${STEP_FUNCTION[slice.step]}(timestamp, 'UTC'), '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS bucket`,
    );
    names.push('bucket');
  }
  for (const d of slice.groupBy ?? []) {
    select.push(`${DIMENSIONS[d]} AS ${d}`);
    names.push(d);
  }
  return { select, names };
}

/**
 * The settings every figure query ends with:
 * - output columns keep the names of the columns they sum (`cache_read_tokens`, …); inside the aggregates the names
 *   must mean the table's columns, not the aliases;
 * - FINAL merges within each partition only: every copy of a span has the same timestamp, so the same month
 *   partition, and a partition that is already one part is read without merging (FINAL at the cost of a plain
 *   read once merges have caught up: 30 days of 10M calls ~1.1 s → see `npm run bench -- analytics`).
 */
export const QUERY_SETTINGS =
  'SETTINGS prefer_column_name_to_alias = 1, do_not_merge_across_partitions_select_final = 1';

const COST = 'sumOrDefault(ifNull(cost_amount, toDecimal64(0, 12)))';

/**
 * The usage figures, each one SQL expression over llm_calls rows, by output name: calls; successes, errors and
 * their rates; latency p50/p95/p99 (exact, nearest rank from below) and time to first chunk p95 for streams; tokens
 * by bucket (uncached input, cache read, output, thinking); cost total, per call and per 1,000 calls (priced and
 * not-billed calls; exact decimals); unpriced calls and their share; not-billed calls. The API, the report and
 * every dashboard panel select from this one map.
 */
export const USAGE_FIGURES = {
  calls: 'toUInt64(count())',
  successes: 'toUInt64(countIf(success = 1))',
  errors: 'toUInt64(countIf(success = 0))',
  success_rate: 'round(countIf(success = 1) / nullIf(count(), 0), 6)',
  error_rate: 'round(countIf(success = 0) / nullIf(count(), 0), 6)',
  p50_ms: 'if(count() = 0, NULL, round(quantileExactLow(0.5)(duration_ns) / 1e6, 3))',
  p95_ms: 'if(count() = 0, NULL, round(quantileExactLow(0.95)(duration_ns) / 1e6, 3))',
  p99_ms: 'if(count() = 0, NULL, round(quantileExactLow(0.99)(duration_ns) / 1e6, 3))',
  ttfc_p95_ms:
    'if(countIf(time_to_first_chunk_s IS NOT NULL) = 0, NULL, round(quantileExactLowIf(0.95)(assumeNotNull(time_to_first_chunk_s), time_to_first_chunk_s IS NOT NULL) * 1000, 3))',
  input_uncached_tokens: 'toUInt64(sum(input_tokens - least(cache_read_tokens, input_tokens)))',
  cache_read_tokens: 'toUInt64(sum(least(cache_read_tokens, input_tokens)))',
  output_tokens: 'toUInt64(sum(output_tokens))',
  thinking_tokens: 'toUInt64(sum(reasoning_tokens))',
  cost: `toString(${COST})`,
  cost_per_call: `toString(${COST} / nullIf(count(), 0))`,
  cost_per_1k_calls: `toString(${COST} * 1000 / nullIf(count(), 0))`,
  unpriced_calls: "toUInt64(countIf(cost_status = 'unpriced'))",
  unpriced_share: "round(countIf(cost_status = 'unpriced') / nullIf(count(), 0), 6)",
  not_billed_calls: "toUInt64(countIf(cost_status = 'not_billed'))",
} as const;
export type UsageFigure = keyof typeof USAGE_FIGURES;

/** `expr AS name, …` for the chosen figures (all by default). */
export function usageColumns(
  names: readonly UsageFigure[] = Object.keys(USAGE_FIGURES) as UsageFigure[],
): string {
  return names.map((n) => `${USAGE_FIGURES[n]} AS ${n}`).join(',\n    ');
}

/** The usage figures (all, or the ones named) per bucket and group of a slice (see USAGE_FIGURES). */
export function usageQuery(slice: Slice, figures?: readonly UsageFigure[]): Query {
  const where = sliceWhere(slice);
  const { select, names } = keys(slice);
  const sql = `SELECT ${[...select, usageColumns(figures)].join(',\n    ')}
  FROM llm_calls FINAL
  WHERE ${where.sql}
  ${names.length ? `GROUP BY ${names.join(', ')} ORDER BY ${names.join(', ')}` : ''}
  ${QUERY_SETTINGS}`;
  return { sql, params: where.params };
}

/** Errors per bucket and group, by `error.type` (empty when the span named none). */
export function errorsQuery(slice: Slice): Query {
  const where = sliceWhere(slice);
  const { select, names } = keys(slice);
  const all = [...names, 'error_type'];
  return {
    sql: `SELECT ${[...select, 'error_type'].join(', ')}, toUInt64(count()) AS errors
      FROM llm_calls FINAL
      WHERE ${where.sql} AND success = 0
      GROUP BY ${all.join(', ')} ORDER BY ${[...names, 'errors DESC', 'error_type'].join(', ')}
      ${QUERY_SETTINGS}`,
    params: where.params,
  };
}

/** The most expensive calls in a slice, most expensive first. */
export function topCallsQuery(slice: Slice, limit: number): Query {
  const where = sliceWhere(slice);
  return {
    sql: `SELECT span_id, trace_id, formatDateTime(timestamp, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS at,
        prompt_name AS template, prompt_version AS version, request_model AS model, service_name AS service,
        toString(assumeNotNull(cost_amount)) AS cost, cost_currency AS currency,
        toUInt64(input_tokens) AS input_tokens, toUInt64(output_tokens) AS output_tokens,
        round(duration_ns / 1e6, 3) AS duration_ms
      FROM llm_calls FINAL
      WHERE ${where.sql} AND cost_amount IS NOT NULL
      ORDER BY cost_amount DESC, timestamp DESC LIMIT {limit:UInt32}
      ${QUERY_SETTINGS}`,
    params: { ...where.params, limit },
  };
}

/** Runs a figure's query; 64-bit integers come back as numbers, decimals as exact strings. */
export async function runQuery<T>(client: ClickHouseClient, q: Query): Promise<T[]> {
  const rs = await client.query({
    query: q.sql,
    query_params: q.params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return rs.json<T>();
}

/**
 * Per-variant figures of an A/B split (calls that recorded `promptscope.prompt.variant`): calls, errors, p95
 * latency, cost (exact total and per call) and, for the significance tests, the mean and sample variance of cost
 * and tokens (input + output) per call.
 */
export function abQuery(slice: Slice): Query {
  const where = sliceWhere(slice);
  const cost = 'ifNull(cost_amount, toDecimal64(0, 12))';
  return {
    sql: `SELECT prompt_variant AS variant,
        toUInt64(count()) AS calls,
        toUInt64(countIf(success = 0)) AS errors,
        round(quantileExactLow(0.95)(duration_ns) / 1e6, 3) AS p95_ms,
        toString(sum(${cost})) AS cost,
        toString(sum(${cost}) / count()) AS cost_per_call,
        avg(toFloat64(${cost})) AS cost_mean,
        ifNotFinite(varSamp(toFloat64(${cost})), 0) AS cost_variance,
        avg(input_tokens + output_tokens) AS tokens_mean,
        ifNotFinite(varSamp(toFloat64(input_tokens + output_tokens)), 0) AS tokens_variance
      FROM llm_calls FINAL
      WHERE ${where.sql} AND prompt_variant != ''
      GROUP BY variant ORDER BY variant
      ${QUERY_SETTINGS}`,
    params: where.params,
  };
}

/**
 * Per version of one template, over the 24 hours and the 7 days before `to`: calls, success rate, p95 latency and
 * cost (the seed's "statistics", from llm_calls; admin test runs left out).
 */
export function versionStatsQuery(template: string, to: number): Query {
  const windows = [
    ['24h', '{day:Int64}'],
    ['7d', '{week:Int64}'],
  ] as const;
  const columns = windows.flatMap(([suffix, since]) => {
    const inWindow = `timestamp >= fromUnixTimestamp64Milli(${since})`;
    return [
      `toUInt64(countIf(${inWindow})) AS calls_${suffix}`,
      `round(countIf(${inWindow} AND success = 1) / nullIf(countIf(${inWindow}), 0), 6) AS success_rate_${suffix}`,
      `if(countIf(${inWindow}) = 0, NULL, round(quantileExactLowIf(0.95)(duration_ns, ${inWindow}) / 1e6, 3)) AS p95_ms_${suffix}`,
      `toString(sumIf(ifNull(cost_amount, toDecimal64(0, 12)), ${inWindow})) AS cost_${suffix}`,
    ];
  });
  return {
    sql: `SELECT prompt_version AS version, ${columns.join(',\n      ')}
      FROM llm_calls FINAL
      WHERE prompt_name = {template:String} AND test_run = 0
        AND timestamp >= fromUnixTimestamp64Milli({week:Int64}) AND timestamp < fromUnixTimestamp64Milli({to:Int64})
      GROUP BY version
      ${QUERY_SETTINGS}`,
    params: { template, to, day: to - 86_400_000, week: to - 7 * 86_400_000 },
  };
}
