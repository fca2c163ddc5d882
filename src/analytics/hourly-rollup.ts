import type { ClickHouseClient } from '../store/clickhouse.ts';
import { DIMENSIONS, PARTIAL_NAMES, PARTIALS, QUERY_SETTINGS } from './figures.ts';

/**
 * The hourly rollup's builder (llm_calls_hourly; migration 0008 explains the tables). An hour is built once it has
 * closed and its calls have been quiet for a while; it is built again whenever rows reached it after its build (a
 * late span, a repeated delivery). Figures never depend on the builder having run: an hour it has not built (or not
 * rebuilt yet) is read from llm_calls.
 */

export interface RollupOptions {
  /** An hour is built this long after it ends at the earliest (spans of calls that started in it still arrive). */
  closeAfterMs: number;
  /** …and only when it has got no rows for this long. */
  quietMs: number;
  /** Hours built per round at most, newest first. */
  maxHoursPerRound: number;
  /** Only hours that began at most this many hours ago (0: any; see rollupBuildWindowHours). */
  buildWithinHours?: number;
}

export const DEFAULT_ROLLUP_OPTIONS: RollupOptions = {
  closeAfterMs: 60_000,
  quietMs: 10_000,
  maxHoursPerRound: 48,
};

export interface RollupRound {
  built: number;
  /** Hours still waiting for a build after this round (more than one round's worth, or not quiet yet). */
  waiting: number;
}

interface StaleHour {
  /** The hour's start, 'YYYY-MM-DD hh:00:00' (UTC). */
  start: string;
  rows: number;
  built_at: number;
  quiet: number;
}

/** Builds the hours that need it (newest first, at most `maxHoursPerRound`). */
export async function buildRollup(
  client: ClickHouseClient,
  options: RollupOptions = DEFAULT_ROLLUP_OPTIONS,
): Promise<RollupRound> {
  const rs = await client.query({
    query: `SELECT toString(hour) AS start, rows, toUnixTimestamp64Milli(ifNull(built_at, toDateTime64(0, 3))) AS built_at,
        toUInt8(last_insert_at <= now64(3) - toIntervalMillisecond({quiet_ms:UInt32})) AS quiet
      FROM llm_calls_hour_status
      WHERE NOT fresh AND hour = toStartOfHour(hour) AND hour + INTERVAL 1 HOUR <= now() - toIntervalMillisecond({close_ms:UInt32})
        AND ({within_hours:UInt32} = 0 OR hour >= now() - toIntervalHour({within_hours:UInt32}))
      ORDER BY hour DESC`,
    query_params: {
      quiet_ms: options.quietMs,
      close_ms: options.closeAfterMs,
      within_hours: options.buildWithinHours ?? 0,
    },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const stale = await rs.json<StaleHour>();
  const due = stale.filter((h) => h.quiet).slice(0, options.maxHoursPerRound);
  for (const h of due) await buildHour(client, h);
  return { built: due.length, waiting: stale.length - due.length };
}

/** The rollup's key besides the hour: every dimension a figure can be grouped or filtered by, and test_run. */
const KEY = ['test_run', ...Object.values(DIMENSIONS)];

/**
 * One hour's partials per key, from llm_calls FINAL, and then the record of the row count seen before the build
 * (the rows it covers: any row that arrives later changes the count and makes the hour stale again). A build that
 * fails halfway leaves the rollup rows without a record: the hour stays stale and is built again.
 */
async function buildHour(client: ClickHouseClient, h: StaleHour): Promise<void> {
  // Versions of an hour's builds must grow even if the clock steps back.
  const builtAt = Math.max(Date.now(), h.built_at + 1);
  await client.command({
    query: `INSERT INTO llm_calls_hourly (hour, ${KEY.join(', ')}, ${PARTIAL_NAMES.join(', ')}, built_at)
      SELECT toStartOfHour(timestamp, 'UTC') AS hour, ${KEY.join(', ')},
        ${PARTIAL_NAMES.map((p) => `${PARTIALS[p]} AS ${p}`).join(',\n        ')},
        fromUnixTimestamp64Milli({built_at:Int64}, 'UTC') AS built_at
      FROM llm_calls FINAL
      WHERE timestamp >= toDateTime({hour:String}, 'UTC') AND timestamp < toDateTime({hour:String}, 'UTC') + INTERVAL 1 HOUR
      GROUP BY hour, ${KEY.join(', ')}
      ${QUERY_SETTINGS}`,
    query_params: { hour: h.start, built_at: builtAt },
  });
  await client.command({
    query: `INSERT INTO llm_calls_hourly_builds (hour, built_at, source_rows)
      SELECT toDateTime({hour:String}, 'UTC'), fromUnixTimestamp64Milli({built_at:Int64}, 'UTC'), {rows:UInt64}`,
    query_params: { hour: h.start, built_at: builtAt, rows: h.rows },
  });
}
