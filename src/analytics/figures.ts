import type { ClickHouseClient } from '../store/clickhouse.ts';

/**
 * Every analytics figure, defined once as ClickHouse SQL over `llm_calls`: the API, the report CLI, the Grafana
 * panels (grafana.ts), the built-in page and the alert rules take their SQL from here. Each span counts once in every
 * figure: `llm_calls` is read with FINAL, which collapses a span that reached ClickHouse twice, and the hourly rollup
 * that serves the whole hours of long ranges (usageSql) is built from `llm_calls FINAL` and read only while current.
 */

export const STEPS = ['minute', 'hour', 'day'] as const;
export type Step = (typeof STEPS)[number];

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

/**
 * Who and what a call is for (the sdk's withAttribution, or other instrumentations' names): read from llm_calls
 * only, never from the hourly rollup, which keeps the dimensions above (users and sessions are too many).
 */
export const ATTRIBUTION_KEYS = {
  user: 'user_id',
  session: 'session_id',
  conversation: 'conversation_id',
  tenant: 'tenant',
} as const;
export type AttributionKey = keyof typeof ATTRIBUTION_KEYS;
export const ATTRIBUTION_KEY_NAMES = Object.keys(ATTRIBUTION_KEYS) as AttributionKey[];
/** A custom property's name, as the sdk bounds it. */
export const PROPERTY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** What a figure can be grouped and filtered by: a dimension, an attribution key, or `property.<name>`. */
export type Key = Dimension | AttributionKey | `property.${string}`;

export function isKey(text: string): text is Key {
  if (Object.hasOwn(DIMENSIONS, text) || Object.hasOwn(ATTRIBUTION_KEYS, text)) return true;
  return text.startsWith('property.') && PROPERTY_NAME.test(text.slice(9));
}

/** The llm_calls column (or expression) of a key; property names are checked by isKey before they get here. */
export function columnOf(key: Key): string {
  if (Object.hasOwn(DIMENSIONS, key)) return DIMENSIONS[key as Dimension];
  if (Object.hasOwn(ATTRIBUTION_KEYS, key)) return ATTRIBUTION_KEYS[key as AttributionKey];
  const name = key.slice(9);
  if (!PROPERTY_NAME.test(name)) throw new Error(`not a property name: ${JSON.stringify(name)}`);
  return `properties['${name}']`;
}

/** A key as an output column name (`property.feature` needs quoting in SQL). */
export function aliasOf(key: Key): string {
  return key.includes('.') ? `\`${key}\`` : key;
}

/** Whether the hourly rollup holds these keys (only the dimensions). */
export function rollupHolds(keys: readonly Key[]): boolean {
  return keys.every((k) => Object.hasOwn(DIMENSIONS, k));
}

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
  groupBy?: Key[];
  filters?: Partial<Record<Key, string>>;
  /** Admin test runs (promptscope.test_run): left out by default. */
  testRuns?: TestRuns;
}

export interface Query {
  sql: string;
  params: Record<string, string | number>;
}

/**
 * A slice's conditions besides its time range (test runs, filters), with their parameters (values never enter the
 * SQL), and whether they hold on the hourly rollup's rows too (no filter on who or what).
 */
export function sliceConditions(slice: Slice): {
  conditions: string[];
  params: Query['params'];
  rollupHolds: boolean;
} {
  const params: Record<string, string | number> = {
    from: slice.from,
    to: slice.to,
    test_runs: slice.testRuns ?? 'exclude',
  };
  const conditions = [TEST_RUN_FILTER];
  for (const [i, [name, value]] of (
    Object.entries(slice.filters ?? {}) as [Key, string | undefined][]
  ).entries()) {
    if (value === undefined) continue;
    params[`f_${i}`] = value;
    conditions.push(`${columnOf(name)} = {f_${i}:String}`);
  }
  return { conditions, params, rollupHolds: rollupHolds(Object.keys(slice.filters ?? {}) as Key[]) };
}

/** The WHERE clause of a slice over llm_calls, with its parameters. */
export function sliceWhere(slice: Slice): Query {
  const { conditions, params } = sliceConditions(slice);
  const range = [`timestamp >= ${PARAMETER_RANGE.from}`, `timestamp < ${PARAMETER_RANGE.to}`];
  return { sql: [...range, ...conditions].join(' AND '), params };
}

/** The bucket and group columns of a slice (SELECT list, GROUP BY and ORDER BY share them). */
function keys(slice: Slice): { select: string[]; names: string[] } {
  const select: string[] = [];
  const names: string[] = [];
  if (slice.step) {
    select.push(
      `formatDateTime(${STEP_BUCKETS[slice.step].start('timestamp')}, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS bucket`,
    );
    names.push('bucket');
  }
  for (const d of slice.groupBy ?? []) {
    select.push(`${columnOf(d)} AS ${aliasOf(d)}`);
    names.push(aliasOf(d));
  }
  return { select, names };
}

/**
 * The settings every figure query ends with:
 * - output columns keep the names of the columns they sum (`cache_read_tokens`, …); inside the aggregates the names
 *   must mean the table's columns, not the aliases;
 * - FINAL merges within each partition only: every copy of a span has the same timestamp, so the same month
 *   partition, and a partition that is already one part is read without merging.
 */
export const QUERY_SETTINGS =
  'SETTINGS prefer_column_name_to_alias = 1, do_not_merge_across_partitions_select_final = 1';

/**
 * What the usage figures are computed from: partial aggregates of llm_calls rows per bucket and group, summable
 * across groups. The hourly rollup (llm_calls_hourly, see hourly-rollup.ts) stores exactly these per hour, and a
 * figure query computes them from llm_calls for the hours the rollup does not cover. Latencies are kept whole (every
 * duration, as an array) so quantiles stay exact.
 */
export const PARTIALS = {
  calls: 'toUInt64(count())',
  successes: 'toUInt64(countIf(success = 1))',
  input_uncached_tokens:
    'toUInt64(sum(input_tokens - least(cache_read_tokens + cache_write_tokens, input_tokens)))',
  cache_read_tokens: 'toUInt64(sum(least(cache_read_tokens, input_tokens)))',
  cache_write_tokens:
    'toUInt64(sum(least(cache_write_tokens, input_tokens - least(cache_read_tokens, input_tokens))))',
  output_tokens: 'toUInt64(sum(output_tokens))',
  thinking_tokens: 'toUInt64(sum(reasoning_tokens))',
  cost: 'toDecimal128(sumOrDefault(ifNull(cost_amount, toDecimal64(0, 12))), 12)',
  unpriced_calls: "toUInt64(countIf(cost_status = 'unpriced'))",
  not_billed_calls: "toUInt64(countIf(cost_status = 'not_billed'))",
  durations: 'groupArray(duration_ns)',
  times_to_first_chunk:
    'groupArrayIf(assumeNotNull(time_to_first_chunk_s), time_to_first_chunk_s IS NOT NULL)',
} as const;
export type PartialColumn = keyof typeof PARTIALS;
export const PARTIAL_NAMES = Object.keys(PARTIALS) as PartialColumn[];

const ERRORS = '(sum(calls) - sum(successes))';

/**
 * The usage figures, each one SQL expression over partials (PARTIALS), by output name: calls; successes, errors and
 * their rates; latency p50/p95/p99 (exact, nearest rank from below) and time to first chunk p95 for streams; tokens
 * by bucket (uncached input, cache read, cache write, output, thinking); cost total, per call and per 1,000 calls (priced and
 * not-billed calls; exact decimals); unpriced calls and their share; not-billed calls. The API, the report, every
 * dashboard panel and the alert rules select from this one map.
 */
export const USAGE_FIGURES = {
  calls: 'toUInt64(sum(calls))',
  successes: 'toUInt64(sum(successes))',
  errors: `toUInt64(${ERRORS})`,
  success_rate: 'round(sum(successes) / nullIf(sum(calls), 0), 6)',
  error_rate: `round(${ERRORS} / nullIf(sum(calls), 0), 6)`,
  p50_ms: 'if(sum(calls) = 0, NULL, round(quantileExactLowArray(0.5)(durations) / 1e6, 3))',
  p95_ms: 'if(sum(calls) = 0, NULL, round(quantileExactLowArray(0.95)(durations) / 1e6, 3))',
  p99_ms: 'if(sum(calls) = 0, NULL, round(quantileExactLowArray(0.99)(durations) / 1e6, 3))',
  ttfc_p95_ms:
    'if(sum(length(times_to_first_chunk)) = 0, NULL, round(quantileExactLowArray(0.95)(times_to_first_chunk) * 1000, 3))',
  input_uncached_tokens: 'toUInt64(sum(input_uncached_tokens))',
  cache_read_tokens: 'toUInt64(sum(cache_read_tokens))',
  cache_write_tokens: 'toUInt64(sum(cache_write_tokens))',
  output_tokens: 'toUInt64(sum(output_tokens))',
  thinking_tokens: 'toUInt64(sum(thinking_tokens))',
  cost: 'toString(sum(cost))',
  cost_per_call: 'toString(sum(cost) / nullIf(sum(calls), 0))',
  /** What one call that succeeded cost, failures included: a version that fails more costs more per answer. */
  cost_per_success: 'toString(sum(cost) / nullIf(sum(successes), 0))',
  cost_per_1k_calls: 'toString(sum(cost) * 1000 / nullIf(sum(calls), 0))',
  unpriced_calls: 'toUInt64(sum(unpriced_calls))',
  unpriced_share: 'round(sum(unpriced_calls) / nullIf(sum(calls), 0), 6)',
  not_billed_calls: 'toUInt64(sum(not_billed_calls))',
} as const;
export type UsageFigure = keyof typeof USAGE_FIGURES;
export const USAGE_FIGURE_NAMES = Object.keys(USAGE_FIGURES) as UsageFigure[];

/** How a query writes its time range: the API's parameters, or the Grafana plugin's macros. */
export interface TimeRange {
  /** DateTime64 expressions of the range's ends. */
  from: string;
  to: string;
  /** Grafana's time filter includes its end; the API's range does not. */
  toInclusive: boolean;
}

/** The API's range: Unix milliseconds, from inclusive, to exclusive. */
export const PARAMETER_RANGE: TimeRange = {
  from: 'fromUnixTimestamp64Milli({from:Int64})',
  to: 'fromUnixTimestamp64Milli({to:Int64})',
  toInclusive: false,
};

/** Buckets of a usage query: each bucket's start from a time column (`timestamp`, or the rollup's `hour`). */
export interface Buckets {
  start(time: string): string;
  /**
   * Whether every bucket is a union of whole UTC hours, so the hourly rollup can serve it: true, false, or a SQL
   * condition (Grafana's interval is known only when the panel runs).
   */
  wholeHours: boolean | string;
}

export interface UsageSql {
  range: TimeRange;
  buckets?: Buckets;
  /** How the bucket appears in the output (its alias included). */
  bucketColumn?: (start: string) => string;
  groupBy: readonly Key[];
  /**
   * Conditions on the dimension columns and test_run: they hold on llm_calls and llm_calls_hourly rows alike (a
   * condition on who or what does not: pass `rollup: false` with it).
   */
  conditions: readonly string[];
  /** Output columns computed from the partials (`expr AS name`). */
  columns: readonly string[];
  having?: string;
  /** Whether to read the hourly rollup at all (alert rules over minutes never need it). */
  rollup?: boolean;
  /** Whether the query ends with QUERY_SETTINGS (not when it is a subquery). */
  settings?: boolean;
  /** Rows by this output column, largest first (then by key), and at most `limit` of them: a top N. */
  orderBy?: string;
  limit?: number;
}

/**
 * The first whole hour at or after a range's start, and the end of its last whole hour: in milliseconds on
 * DateTime64, since toStartOfHour returns a DateTime, which ends in 2106 (spans may be dated up to 2262).
 */
const HOUR_OF_FROM = (r: TimeRange) =>
  `fromUnixTimestamp64Milli(intDiv(toUnixTimestamp64Milli(${r.from}) + 3599999, 3600000) * 3600000, 'UTC')`;
const LAST_HOUR_END = (r: TimeRange) =>
  `fromUnixTimestamp64Milli(intDiv(toUnixTimestamp64Milli(${r.to}), 3600000) * 3600000, 'UTC')`;
/** The rollup's hours are DateTime: none at or after this one. */
const LAST_ROLLUP_HOUR_END = "toDateTime64('2106-02-07 06:00:00', 3, 'UTC')";

/**
 * A usage query: partials (PARTIALS) per bucket and group, from the hourly rollup for the whole hours of the range
 * it holds current, and from `llm_calls FINAL` for the rest (the range's first partial hour, and from the first hour
 * the rollup does not hold current to the end: the current hour, or one that got a late or repeated span since it
 * was built). Both sides are decided by one scalar evaluated once per query, so an hour is read from exactly one of
 * them. Then the figures over those partials, per bucket and group.
 */
export function usageSql(q: UsageSql): string {
  const r = q.range;
  const dims = q.groupBy.map((d) => `${columnOf(d)} AS ${aliasOf(d)}`);
  const names = [...(q.buckets ? ['t'] : []), ...q.groupBy.map(aliasOf)];
  const conditions = q.conditions.length ? q.conditions.join(' AND ') : '1';
  const end = r.toInclusive ? `timestamp <= ${r.to}` : `timestamp < ${r.to}`;
  // Only the partials the output columns use: an array of every duration is not read for a cost chart.
  const partials = PARTIAL_NAMES.filter((p) =>
    [...q.columns, q.having ?? ''].some((c) => new RegExp(`\\b${p}\\b`).test(c)),
  );
  // Partials are named p_<name> between the two levels, so no output alias (`cache_read_tokens`) can shadow the
  // column an aggregate reads: the query means the same with or without prefer_column_name_to_alias, which a
  // readonly Grafana user cannot set.
  const rawPartials = partials.map((p) => `${PARTIALS[p]} AS p_${p}`);
  // GLOBAL IN below: on a cluster the builds lie on other shards than the rollup rows (both Distributed tables), and a
  // plain IN over two Distributed tables is refused (distributed_product_mode); on one node it is a plain IN.
  const raw = (extra: string) => `SELECT ${[
    ...(q.buckets ? [`toDateTime(${q.buckets.start('timestamp')}, 'UTC') AS t`] : []),
    ...dims,
    ...rawPartials,
  ].join(', ')}
    FROM llm_calls FINAL
    WHERE timestamp >= ${r.from} AND ${end}${extra} AND ${conditions}
    ${names.length ? `GROUP BY ${names.join(', ')}` : ''}`;
  // The rollup keeps the dimensions only: grouped by who or what, every hour is read from llm_calls.
  const useRollup = q.rollup !== false && q.buckets?.wholeHours !== false && rollupHolds(q.groupBy);
  const source = useRollup
    ? `SELECT ${[
        ...(q.buckets ? [`toDateTime(${q.buckets.start('hour')}, 'UTC') AS t`] : []),
        ...dims,
        ...partials.map((p) => `${p} AS p_${p}`),
      ].join(', ')}
    FROM llm_calls_hourly
    WHERE hour >= rollup_from AND hour < rollup_to
      AND (hour, built_at) GLOBAL IN (SELECT hour, max(built_at) FROM llm_calls_hourly_builds
        WHERE hour >= rollup_from AND hour < rollup_to GROUP BY hour)
      AND ${conditions}
    UNION ALL
    ${raw(' AND (timestamp < rollup_from OR timestamp >= rollup_to)')}`
    : raw('');
  const withs = useRollup
    ? `WITH ${HOUR_OF_FROM(r)} AS rollup_from,
    greatest(rollup_from, ${rollupTo(r, q.buckets?.wholeHours)}) AS rollup_to
  `
    : '';
  const bucketColumn = q.bucketColumn ?? ((t: string) => `${t} AS bucket`);
  const columns = q.columns.map((c) => overPartials(c, partials));
  return `${withs}SELECT ${[...(q.buckets ? [bucketColumn('t')] : []), ...q.groupBy.map(aliasOf), ...columns].join(',\n    ')}
  FROM (
    ${source}
  )
  ${names.length ? `GROUP BY ${names.join(', ')}` : ''}
  ${q.having ? `HAVING ${q.having}` : ''}
  ${q.orderBy ? `ORDER BY ${[`${q.orderBy} DESC`, ...names].join(', ')}` : names.length ? `ORDER BY ${names.join(', ')}` : ''}
  ${q.limit ? `LIMIT ${Math.trunc(q.limit)}` : ''}
  ${q.settings === false ? '' : QUERY_SETTINGS}`;
}

/** An output column `expr AS name` with the partials its expression reads renamed to their p_ names. */
function overPartials(column: string, partials: readonly PartialColumn[]): string {
  const at = column.lastIndexOf(' AS ');
  const expr = at === -1 ? column : column.slice(0, at);
  const renamed = partials.reduce((e, p) => e.replace(new RegExp(`\\b${p}\\b`, 'g'), `p_${p}`), expr);
  return at === -1 ? renamed : `${renamed}${column.slice(at)}`;
}

/**
 * Where the rollup's part of a range ends: the first whole hour of the range whose rows changed since its newest
 * build (or that was never built: the current hour always), else the last whole hour of the range.
 */
function rollupTo(r: TimeRange, wholeHours: boolean | string | undefined): string {
  const lastHourEnd = `least(${LAST_HOUR_END(r)}, ${LAST_ROLLUP_HOUR_END})`;
  const firstStale = `(SELECT minOrNull(hour) FROM llm_calls_hour_status
      WHERE NOT fresh AND hour >= rollup_from AND hour < ${lastHourEnd})`;
  const to = `ifNull(${firstStale}, ${lastHourEnd})`;
  return typeof wholeHours === 'string' ? `if(${wholeHours}, ${to}, rollup_from)` : to;
}

const LATENCY_LEVELS = { p50_ms: 0.5, p95_ms: 0.95, p99_ms: 0.99 } as const;

/**
 * `expr AS name, …` for the chosen figures (all by default). Two or more latency percentiles share one
 * `quantilesExactLowArray` (one pass over the durations instead of one each; the same values).
 */
export function usageColumns(
  names: readonly UsageFigure[] = USAGE_FIGURE_NAMES,
  expressions: Partial<Record<UsageFigure, string>> = USAGE_FIGURES,
): string[] {
  const latencies = names.filter((n): n is keyof typeof LATENCY_LEVELS => n in LATENCY_LEVELS);
  const shared = `quantilesExactLowArray(${latencies.map((n) => LATENCY_LEVELS[n]).join(', ')})(durations)`;
  return names.map((n) => {
    const i = latencies.indexOf(n as keyof typeof LATENCY_LEVELS);
    if (latencies.length > 1 && i >= 0)
      return `if(sum(calls) = 0, NULL, round(${shared}[${i + 1}] / 1e6, 3)) AS ${n}`;
    return `${expressions[n] ?? USAGE_FIGURES[n]} AS ${n}`;
  });
}

const STEP_BUCKETS: Record<Step, Buckets> = {
  minute: { start: (t) => `toStartOfMinute(${t}, 'UTC')`, wholeHours: false },
  hour: { start: (t) => `toStartOfHour(${t}, 'UTC')`, wholeHours: true },
  day: { start: (t) => `toStartOfDay(${t}, 'UTC')`, wholeHours: true },
};

/** The usage figures (all, or the ones named) per bucket and group of a slice (see USAGE_FIGURES). */
export function usageQuery(
  slice: Slice,
  figures?: readonly UsageFigure[],
  options: { rollup?: boolean; orderBy?: UsageFigure; limit?: number } = {},
): Query {
  const named =
    figures && options.orderBy && !figures.includes(options.orderBy)
      ? [...figures, options.orderBy]
      : figures;
  const where = sliceConditions(slice);
  return {
    sql: usageSql({
      range: PARAMETER_RANGE,
      buckets: slice.step ? STEP_BUCKETS[slice.step] : undefined,
      bucketColumn: (t) => `formatDateTime(${t}, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS bucket`,
      groupBy: slice.groupBy ?? [],
      conditions: where.conditions,
      columns: usageColumns(named),
      orderBy: options.orderBy,
      limit: options.limit,
      rollup: options.rollup !== false && where.rollupHolds,
    }),
    params: where.params,
  };
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

/** llm_calls' sorting key: FINAL keeps one row per key (the copies of a span share it). */
const CALL_KEY = '(prompt_name, prompt_version, request_model, toStartOfMinute(timestamp), span_id)';

/**
 * The most expensive calls, most expensive first (latest first among equals), each span once. Reading llm_calls
 * with FINAL for a whole month costs every column of every row; instead the `limit` × 2 + 20 most expensive rows are
 * found without FINAL (only the cost and time columns are read, and only the winners' other columns), and only their
 * spans are read with FINAL. That is the exact answer when at least `limit` of those spans, as FINAL keeps them,
 * still rank above the last candidate: every other span has all its copies below it. When repeated copies with
 * other costs crowd the candidates so that this does not hold (`covered` is false), every call in the range is
 * read with FINAL instead.
 */
export function topCallsSql(q: {
  range: TimeRange;
  conditions: readonly string[];
  /** A number, or a parameter. */
  limit: string;
  columns: readonly string[];
  /** Whether the query ends with QUERY_SETTINGS (not for a readonly Grafana user). */
  settings?: boolean;
}): string {
  const r = q.range;
  const where = [
    `timestamp >= ${r.from}`,
    r.toInclusive ? `timestamp <= ${r.to}` : `timestamp < ${r.to}`,
    ...q.conditions,
    'cost_amount IS NOT NULL',
  ].join(' AND ');
  const candidates = `(${q.limit} * 2 + 20)`;
  const isCandidate = `${CALL_KEY} IN (SELECT arrayJoin(candidates).1)`;
  return `WITH
    (SELECT groupArray((k, c, ts)) FROM (
      SELECT ${CALL_KEY} AS k, assumeNotNull(cost_amount) AS c, timestamp AS ts FROM llm_calls
      WHERE ${where} ORDER BY c DESC, ts DESC LIMIT ${candidates})) AS candidates,
    arraySort(x -> (x.2, x.3), candidates)[1] AS last_candidate,
    (SELECT length(candidates) < ${candidates}
        OR countIf((assumeNotNull(cost_amount), timestamp) > (last_candidate.2, last_candidate.3)) >= ${q.limit}
      FROM llm_calls FINAL WHERE ${isCandidate} AND ${where}) AS covered
  SELECT ${q.columns.join(', ')}
  FROM llm_calls FINAL
  WHERE ${where} AND (NOT covered OR ${isCandidate})
  ORDER BY cost_amount DESC, timestamp DESC
  LIMIT ${q.limit}
  ${q.settings === false ? '' : QUERY_SETTINGS}`;
}

/** The most expensive calls in a slice (topCallsSql). */
export function topCallsQuery(slice: Slice, limit: number): Query {
  const where = sliceConditions(slice);
  return {
    sql: topCallsSql({
      range: PARAMETER_RANGE,
      conditions: where.conditions,
      limit: '{limit:UInt32}',
      columns: [
        'span_id',
        'trace_id',
        "formatDateTime(timestamp, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS at",
        'prompt_name AS template',
        'prompt_version AS version',
        'request_model AS model',
        'service_name AS service',
        'toString(assumeNotNull(cost_amount)) AS cost',
        'cost_currency AS currency',
        'toUInt64(input_tokens) AS input_tokens',
        'toUInt64(output_tokens) AS output_tokens',
        'round(duration_ns / 1e6, 3) AS duration_ms',
      ],
    }),
    params: { ...where.params, limit },
  };
}

/** Runs a figure's query; 64-bit integers come back as numbers, decimals as exact strings. */
export async function runQuery<T>(client: ClickHouseClient, q: Query): Promise<T[]> {
  return (await runQueryWithColumns<T>(client, q)).rows;
}

/** The rows and the result's column names, in order: a CSV of no rows still has its header. */
export async function runQueryWithColumns<T>(
  client: ClickHouseClient,
  q: Query,
): Promise<{ rows: T[]; columns: string[] }> {
  const rs = await client.query({
    query: q.sql,
    query_params: q.params,
    format: 'JSON',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const answer = await rs.json<T>();
  return { rows: answer.data, columns: (answer.meta ?? []).map((m) => m.name) };
}
