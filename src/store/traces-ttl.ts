import type { ClickHouseClient } from './clickhouse.ts';

/** Applies PROMPTSCOPE_TRACES_TTL_DAYS to otel_traces (0 removes a TTL set earlier). */
export async function applyTracesTtl(client: ClickHouseClient, days: number): Promise<void> {
  if (days > 0) {
    await client.command({
      query: `ALTER TABLE otel_traces MODIFY TTL toDateTime(Timestamp) + toIntervalDay(${Math.floor(days)})`,
    });
    return;
  }
  const rs = await client.query({
    query:
      "SELECT toUInt8(position(engine_full, ' TTL ') > 0) AS has FROM system.tables WHERE database = currentDatabase() AND name = 'otel_traces'",
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ has: number }>();
  if (row?.has) await client.command({ query: 'ALTER TABLE otel_traces REMOVE TTL' });
}
