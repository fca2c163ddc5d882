import { parseDuration } from '../platform/duration.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import {
  PARAMETER_RANGE,
  type Query,
  runQuery,
  sliceConditions,
  TEST_RUN_FILTER,
  type TestRuns,
  usageColumns,
  usageSql,
} from './figures.ts';

export interface ExecutionFilter {
  template?: string;
  version?: string;
  model?: string;
  service?: string;
  user?: string;
  session?: string;
  conversation?: string;
  tenant?: string;
  status?: 'success' | 'error';
  /** Newest first (default), or oldest first (a session's calls in the order they happened). */
  order?: 'desc' | 'asc';
  /** Admin test runs: left out (default), included, or alone. */
  testRuns?: TestRuns;
  /** Unix milliseconds. */
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

export interface Execution {
  id: string;
  trace_id: string;
  timestamp: string;
  service_name: string;
  environment: string;
  provider: string;
  operation: string;
  request_model: string;
  response_model: string;
  template_name: string;
  template_version: string;
  template_label: string;
  prompt_source: string;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /** Exact decimal string, or null when unpriced. */
  cost: string | null;
  cost_currency: string;
  cost_status: string;
  /** The catalog entry and the catalog that priced the call (empty when it came priced or is unpriced). */
  cost_price_id: string;
  cost_catalog: string;
  /** The provider's service tier when the span names one (OpenAI's flex, priority). */
  service_tier: string;
  duration_ms: number;
  success: boolean;
  error_type: string;
  finish_reasons: string[];
  user_id: string;
  session_id: string;
  conversation_id: string;
  tenant: string;
  properties: Record<string, string>;
}

// A filter given empty means "calls with that field empty" (as in the analytics figures), absent means "any".
const WHERE = `
  ({template:Nullable(String)} IS NULL OR prompt_name = {template:Nullable(String)})
  AND ({version:Nullable(String)} IS NULL OR prompt_version = {version:Nullable(String)})
  AND ({model:Nullable(String)} IS NULL OR request_model = {model:Nullable(String)} OR response_model = {model:Nullable(String)})
  AND ({service:Nullable(String)} IS NULL OR service_name = {service:Nullable(String)})
  AND ({user:Nullable(String)} IS NULL OR user_id = {user:Nullable(String)})
  AND ({session:Nullable(String)} IS NULL OR session_id = {session:Nullable(String)})
  AND ({conversation:Nullable(String)} IS NULL OR conversation_id = {conversation:Nullable(String)})
  AND ({tenant:Nullable(String)} IS NULL OR tenant = {tenant:Nullable(String)})
  AND ({status:String} = '' OR success = if({status:String} = 'success', 1, 0))
  AND ${TEST_RUN_FILTER}
  AND timestamp >= fromUnixTimestamp64Milli({from:Int64})
  AND timestamp < fromUnixTimestamp64Milli({to:Int64})`;

function params(f: ExecutionFilter) {
  return {
    template: f.template ?? null,
    version: f.version ?? null,
    model: f.model ?? null,
    service: f.service ?? null,
    user: f.user ?? null,
    session: f.session ?? null,
    conversation: f.conversation ?? null,
    tenant: f.tenant ?? null,
    status: f.status ?? '',
    test_runs: f.testRuns ?? 'exclude',
    from: f.from ?? 0,
    to: f.to ?? 9_000_000_000_000, // 2255: DateTime64 ends in 2299
  };
}

/** Recent LLM calls, newest first, each span once (FINAL collapses duplicate deliveries). */
export async function listExecutions(
  client: ClickHouseClient,
  f: ExecutionFilter,
): Promise<{ executions: Execution[]; total: number }> {
  const rs = await client.query({
    query: `SELECT span_id AS id, trace_id, formatDateTime(timestamp, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS at,
        service_name, environment, provider, operation, request_model, response_model,
        prompt_name AS template_name, prompt_version AS template_version, prompt_label AS template_label, prompt_source,
        input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
        if(cost_amount IS NULL, NULL, toString(assumeNotNull(cost_amount))) AS cost, cost_currency, cost_status,
        cost_price_id, cost_catalog, service_tier,
        round(duration_ns / 1e6, 3) AS duration_ms, success AS ok, error_type, finish_reasons,
        user_id, session_id, conversation_id, tenant, properties
      FROM llm_calls FINAL WHERE ${WHERE}
      ORDER BY timestamp ${f.order === 'asc' ? 'ASC' : 'DESC'} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    query_params: { ...params(f), limit: f.limit, offset: f.offset },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  // `at`, not `timestamp`: a SELECT alias would shadow the column in WHERE and ORDER BY.
  // `at` and `ok`, not `timestamp` and `success`: a SELECT alias would shadow the column in WHERE and ORDER BY.
  const rows = await rs.json<Omit<Execution, 'timestamp' | 'success'> & { at: string; ok: number }>();
  const count = await client.query({
    query: `SELECT toUInt32(count()) AS n FROM llm_calls FINAL WHERE ${WHERE}`,
    query_params: params(f),
    format: 'JSONEachRow',
  });
  const [{ n }] = (await count.json<{ n: number }>()) as [{ n: number }];
  return {
    executions: rows.map(
      ({ at, ok, ...r }): Execution => ({
        ...r,
        timestamp: at,
        cost: r.cost === null ? null : trimDecimal(r.cost),
        success: ok === 1,
      }),
    ),
    total: Number(n),
  };
}

export interface Summary {
  window_seconds: number;
  total: number;
  successful: number;
  failed: number;
  success_rate: number | null;
  avg_latency_ms: number | null;
  p95_latency_ms: number | null;
  total_cost: string;
  cost_currency: string;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
}

/** The SQL of summarise: the usage figures (usageSql) over the last `windowSeconds`, and the mean latency. */
export function summaryQuery(windowSeconds: number, now: number, testRuns: TestRuns = 'exclude'): Query {
  const where = sliceConditions({ from: now - windowSeconds * 1000, to: now + 1, testRuns });
  return {
    sql: usageSql({
      range: PARAMETER_RANGE,
      groupBy: [],
      conditions: where.conditions,
      columns: [
        ...usageColumns([
          'calls',
          'successes',
          'errors',
          'p95_ms',
          'cost',
          'unpriced_calls',
          'output_tokens',
        ]),
        'toUInt64(sum(input_uncached_tokens) + sum(cache_read_tokens) + sum(cache_write_tokens)) AS input_tokens',
        'if(sum(calls) = 0, NULL, avgArray(durations) / 1e6) AS avg_latency_ms',
      ],
    }),
    params: where.params,
  };
}

/**
 * The seed's "recent execution metrics", over the last `windowSeconds`: the same numbers as the API's usage, the
 * page and the dashboards for that range (summaryQuery).
 */
export async function summarise(
  client: ClickHouseClient,
  windowSeconds: number,
  now = Date.now(),
  testRuns: TestRuns = 'exclude',
): Promise<Summary> {
  const [r] = (await runQuery<Record<string, number | string | null>>(
    client,
    summaryQuery(windowSeconds, now, testRuns),
  )) as [Record<string, number | string | null>];
  const total = Number(r.calls);
  return {
    window_seconds: windowSeconds,
    total,
    successful: Number(r.successes),
    failed: Number(r.errors),
    success_rate: total === 0 ? null : Number(r.successes) / total,
    avg_latency_ms: r.avg_latency_ms === null ? null : round3(Number(r.avg_latency_ms)),
    p95_latency_ms: r.p95_ms === null ? null : Number(r.p95_ms),
    total_cost: trimDecimal(String(r.cost)),
    cost_currency: 'USD',
    unpriced_calls: Number(r.unpriced_calls),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
  };
}

/** A window back from now, as a duration ("1h", "15m", "7d", "1h30m") of whole seconds, up to 366 days → seconds. */
export function parseWindow(text: string): number | undefined {
  const ms = parseDuration(text);
  if (ms === undefined || ms % 1000 !== 0) return undefined;
  const seconds = ms / 1000;
  return seconds > 0 && seconds <= 366 * 86400 ? seconds : undefined;
}

/** What parseWindow takes, for error messages. */
export const WINDOW_EXPECTED = 'a duration like 30s, 15m, 1h or 7d (at most 366d)';

function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
