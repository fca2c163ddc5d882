import type { ClickHouseClient } from './clickhouse.ts';

/** How long each telemetry table keeps rows, in days (0 = forever). */
export interface Retention {
  /** otel_traces, the raw spans (PROMPTSCOPE_TRACES_TTL_DAYS). */
  traces: number;
  /** llm_calls, one typed row per call, and its hourly rollup (PROMPTSCOPE_LLM_CALLS_TTL_DAYS). */
  calls: number;
}

const TABLES: { table: string; time: string; key: keyof Retention }[] = [
  { table: 'otel_traces', time: 'toDateTime(Timestamp)', key: 'traces' },
  // The exporter's trace-id lookup keeps its rows as long as the spans they point to.
  { table: 'otel_traces_trace_id_ts', time: 'toDateTime(Start)', key: 'traces' },
  { table: 'llm_calls', time: 'toDateTime(timestamp)', key: 'calls' },
  // The hourly rollup and its bookkeeping go with the calls they were built from.
  { table: 'llm_calls_hourly', time: 'hour', key: 'calls' },
  { table: 'llm_calls_hourly_builds', time: 'hour', key: 'calls' },
  { table: 'llm_calls_hour_rows', time: 'hour', key: 'calls' },
];

/** Sets each table's TTL to its retention, or removes a TTL set earlier when the retention is 0 (forever). */
export async function applyRetention(client: ClickHouseClient, retention: Retention): Promise<void> {
  for (const { table, time, key } of TABLES) {
    const days = Math.floor(retention[key]);
    if (days > 0) {
      await client.command({ query: `ALTER TABLE ${table} MODIFY TTL ${time} + toIntervalDay(${days})` });
      continue;
    }
    const rs = await client.query({
      query: `SELECT toUInt8(position(engine_full, ' TTL ') > 0) AS has FROM system.tables
              WHERE database = currentDatabase() AND name = {table:String}`,
      query_params: { table },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ has: number }>();
    if (row?.has) await client.command({ query: `ALTER TABLE ${table} REMOVE TTL` });
  }
}
