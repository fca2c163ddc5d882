import type { PriceCatalog } from '#sdk/pricing';
import { bucketsFromSemconv, computeCost, formatDecimal, parseDecimal } from '#sdk/pricing';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { PARAMETER_RANGE } from './figures.ts';

export interface RepriceRange {
  /** Unix ms, inclusive. */
  from: number;
  /** Unix ms, exclusive. */
  to: number;
  /** Only calls to this model (requested or answered). */
  model?: string;
  /** Only calls to this provider (as llm_calls stores it). */
  provider?: string;
  /** Count what would change and write nothing. */
  dryRun?: boolean;
}

export interface RepriceResult {
  /** Calls the catalog may price: priced by a catalog (the sdk's or the collector's) or unpriced, with tokens. */
  examined: number;
  /** Calls whose cost, status, entry or catalog changed. */
  changed: number;
  /** The changed calls' total before and after (exact decimals; unpriced calls count as 0). */
  cost_before: string;
  cost_after: string;
  /** Changed calls by what they were and what they became, e.g. `unpriced→priced`. */
  transitions: Record<string, number>;
  /** The catalogs that priced the changed calls now. */
  catalogs: string[];
  dry_run: boolean;
}

interface CallRow {
  trace_id: string;
  span_id: string;
  ns: string;
  provider: string;
  request_model: string;
  response_model: string;
  input_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  cost: string | null;
  cost_currency: string;
  cost_status: string;
  cost_price_id: string;
  cost_catalog: string;
  service_tier: string;
}

interface Correction {
  key: string;
  amount: string;
  currency: string;
  status: string;
  priceId: string;
  catalog: string;
}

const PAGE = 2000;

const RANGE = `timestamp >= ${PARAMETER_RANGE.from} AND timestamp < ${PARAMETER_RANGE.to}`;

/**
 * Which calls re-pricing may touch: ones a catalog priced (the sdk or the collector recorded the entry: in llm_calls
 * since migration 0012, on the span before it) and unpriced ones; never calls priced by someone else (a service's
 * own cost, another tool's) nor calls not billed, nor calls without tokens (nothing to price: they stay unpriced).
 */
const CANDIDATES = `${RANGE}
  AND cost_status != 'not_billed' AND (input_tokens > 0 OR output_tokens > 0)
  AND (cost_status = 'unpriced' OR cost_price_id != '' OR (trace_id, span_id) IN (
    SELECT TraceId, SpanId FROM otel_traces
    WHERE Timestamp >= ${PARAMETER_RANGE.from} AND Timestamp < ${PARAMETER_RANGE.to}
      AND SpanAttributes['promptscope.cost.price_id'] != ''))
  AND ({model:String} = '' OR request_model = {model:String} OR response_model = {model:String})
  AND ({provider:String} = '' OR provider = {provider:String})`;

/** The cost the catalog gives a stored call now, as the sdk prices it: the answering model, else the requested one. */
function priceNow(catalog: PriceCatalog, row: CallRow) {
  const usage = bucketsFromSemconv({
    inputTokens: Number(row.input_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    outputTokens: Number(row.output_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
  });
  const at = Number(BigInt(row.ns) / 1_000_000n);
  const models = [row.response_model, row.request_model].filter((m, i, all) => m && all.indexOf(m) === i);
  const call = { provider: row.provider, usage, at, serviceTier: row.service_tier };
  let cost = computeCost(catalog, { ...call, model: models[0] ?? '' });
  for (const model of models.slice(1))
    if (cost.status === 'unpriced') cost = computeCost(catalog, { ...call, model });
  return cost;
}

/**
 * Re-prices stored calls with the current catalog: each call whose price changed gets a corrected row in llm_calls
 * (ReplacingMergeTree keeps the newest by ingested_at), so every figure reads the new cost at once, and the hours it
 * touches read from llm_calls until the rollup job rebuilds them (the row counts it compares have changed).
 * otel_traces keeps the spans as they were sent.
 */
export async function repriceCalls(
  client: ClickHouseClient,
  catalog: PriceCatalog,
  range: RepriceRange,
): Promise<RepriceResult> {
  const result: RepriceResult = {
    examined: 0,
    changed: 0,
    cost_before: '0',
    cost_after: '0',
    transitions: {},
    catalogs: [],
    dry_run: range.dryRun === true,
  };
  let before = 0n;
  let after = 0n;
  const catalogs = new Set<string>();
  let cursor = { ns: '0', span: '' };
  for (;;) {
    const page = await client.query({
      query: `SELECT trace_id, span_id, toString(toUnixTimestamp64Nano(timestamp)) AS ns, provider, request_model,
          response_model, toString(input_tokens) AS input_tokens, toString(cache_read_tokens) AS cache_read_tokens,
          toString(cache_write_tokens) AS cache_write_tokens, toString(output_tokens) AS output_tokens,
          toString(reasoning_tokens) AS reasoning_tokens,
          if(cost_amount IS NULL, NULL, toString(assumeNotNull(cost_amount))) AS cost, cost_currency, cost_status,
          cost_price_id, cost_catalog, service_tier
        FROM llm_calls FINAL
        WHERE ${CANDIDATES}
          AND (toUnixTimestamp64Nano(timestamp), span_id) > (toInt64({ns:String}), {span:String})
        ORDER BY toUnixTimestamp64Nano(timestamp), span_id
        LIMIT ${PAGE}
        SETTINGS do_not_merge_across_partitions_select_final = 1, prefer_column_name_to_alias = 1`,
      query_params: {
        from: range.from,
        to: range.to,
        model: range.model ?? '',
        provider: range.provider ?? '',
        ns: cursor.ns,
        span: cursor.span,
      },
      format: 'JSONEachRow',
    });
    const rows = await page.json<CallRow>();
    if (rows.length === 0) break;
    const corrections: Correction[] = [];
    for (const row of rows) {
      result.examined++;
      const cost = priceNow(catalog, row);
      const next: Correction =
        cost.status === 'priced'
          ? {
              key: `${row.trace_id}:${row.span_id}`,
              amount: cost.amount,
              currency: cost.currency,
              status: 'priced',
              priceId: cost.priceId,
              catalog: cost.catalog,
            }
          : {
              key: `${row.trace_id}:${row.span_id}`,
              amount: '',
              currency: '',
              status: 'unpriced',
              priceId: '',
              catalog: '',
            };
      const wasAmount = row.cost === null ? undefined : parseDecimal(row.cost);
      const isAmount = next.amount === '' ? undefined : parseDecimal(next.amount);
      const same =
        wasAmount === isAmount &&
        row.cost_status === next.status &&
        row.cost_price_id === next.priceId &&
        row.cost_catalog === next.catalog;
      if (same) continue;
      corrections.push(next);
      before += wasAmount ?? 0n;
      after += isAmount ?? 0n;
      const transition = `${row.cost_status}→${next.status}`;
      result.transitions[transition] = (result.transitions[transition] ?? 0) + 1;
      if (next.catalog) catalogs.add(next.catalog);
    }
    if (corrections.length && !range.dryRun) await writeCorrections(client, range, corrections);
    result.changed += corrections.length;
    const last = rows.at(-1)!;
    cursor = { ns: last.ns, span: last.span_id };
    if (rows.length < PAGE) break;
  }
  result.cost_before = formatDecimal(before);
  result.cost_after = formatDecimal(after);
  result.catalogs = [...catalogs].sort();
  return result;
}

/** One INSERT … SELECT per page: each corrected call's stored row with the new cost and a newer ingested_at. */
async function writeCorrections(client: ClickHouseClient, range: RepriceRange, corrections: Correction[]) {
  const column = (pick: (c: Correction) => string) => corrections.map(pick);
  await client.command({
    query: `INSERT INTO llm_calls
      WITH concat(trace_id, ':', span_id) AS call_key
      SELECT * REPLACE (
        CAST(if(transform(call_key, {keys:Array(String)}, {amounts:Array(String)}, '') = '', NULL,
                toDecimal64(transform(call_key, {keys:Array(String)}, {amounts:Array(String)}, ''), 12)),
             'Nullable(Decimal(18, 12))') AS cost_amount,
        transform(call_key, {keys:Array(String)}, {currencies:Array(String)}, '') AS cost_currency,
        transform(call_key, {keys:Array(String)}, {statuses:Array(String)}, '') AS cost_status,
        transform(call_key, {keys:Array(String)}, {priceIds:Array(String)}, '') AS cost_price_id,
        transform(call_key, {keys:Array(String)}, {catalogs:Array(String)}, '') AS cost_catalog,
        now64(3) AS ingested_at)
      FROM llm_calls FINAL
      WHERE ${RANGE} AND has({keys:Array(String)}, call_key)
      SETTINGS do_not_merge_across_partitions_select_final = 1`,
    query_params: {
      from: range.from,
      to: range.to,
      keys: column((c) => c.key),
      amounts: column((c) => c.amount),
      currencies: column((c) => c.currency),
      statuses: column((c) => c.status),
      priceIds: column((c) => c.priceId),
      catalogs: column((c) => c.catalog),
    },
  });
}
