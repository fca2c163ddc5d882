import type { ClickHouseClient } from './clickhouse.ts';
import { alterTable, type ClickHouseDialect, SINGLE, storageTable } from './clickhouse-dialect.ts';

/** How long each telemetry table keeps rows, in days (0 = forever). */
export interface Retention {
  /** otel_traces, the raw spans (PROMPTSCOPE_TRACES_TTL_DAYS). */
  traces: number;
  /** llm_calls, one typed row per call, and its hourly row counts (PROMPTSCOPE_LLM_CALLS_TTL_DAYS). */
  calls: number;
  /** llm_calls_hourly, the hourly rollup, and its builds (PROMPTSCOPE_ROLLUP_TTL_DAYS; default: as llm_calls). */
  rollup: number;
}

const TABLES: { table: string; time: string; key: keyof Retention }[] = [
  { table: 'otel_traces', time: 'toDateTime(Timestamp)', key: 'traces' },
  // The exporter's trace-id lookup keeps its rows as long as the spans they point to.
  { table: 'otel_traces_trace_id_ts', time: 'toDateTime(Start)', key: 'traces' },
  { table: 'llm_calls', time: 'toDateTime(timestamp)', key: 'calls' },
  // The row counts go with the calls they count; the rollup and its builds may outlive them (or not).
  { table: 'llm_calls_hour_rows', time: 'hour', key: 'calls' },
  { table: 'llm_calls_hourly', time: 'hour', key: 'rollup' },
  { table: 'llm_calls_hourly_builds', time: 'hour', key: 'rollup' },
];

/** Sets each table's TTL to its retention, or removes a TTL set earlier when the retention is 0 (forever). */
export async function applyRetention(
  client: ClickHouseClient,
  retention: Retention,
  dialect: ClickHouseDialect = SINGLE,
): Promise<void> {
  for (const { table, time, key } of TABLES) {
    const days = Math.floor(retention[key]);
    if (days > 0) {
      await client.command({
        query: alterTable(table, `MODIFY TTL ${time} + toIntervalDay(${days})`, dialect),
      });
      continue;
    }
    const rs = await client.query({
      query: `SELECT toUInt8(position(engine_full, ' TTL ') > 0) AS has FROM system.tables
              WHERE database = currentDatabase() AND name = {table:String}`,
      query_params: { table: storageTable(table, dialect) },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ has: number }>();
    if (row?.has) await client.command({ query: alterTable(table, 'REMOVE TTL', dialect) });
  }
}

/**
 * How far back the rollup builder may build, in hours (0 = no limit): never an hour whose calls llm_calls may have
 * started to drop (a rebuild would replace its rollup with what is left; an hour ahead of the TTL, for safety), nor
 * one the rollup itself no longer keeps.
 */
export function rollupBuildWindowHours(retention: Retention): number {
  const limits = [retention.calls, retention.rollup].filter((d) => d > 0);
  return limits.length ? Math.min(...limits) * 24 - 1 : 0;
}
