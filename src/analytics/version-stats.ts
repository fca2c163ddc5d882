import type { Logger } from '../platform/log.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { QUERY_SETTINGS, type Query, runQuery } from './figures.ts';

export interface WindowStats {
  calls: number;
  success_rate: number | null;
  p95_ms: number | null;
  /** Exact decimal. */
  cost: string;
}

export interface VersionStats {
  last_24h: WindowStats;
  last_7d: WindowStats;
}

type Row = { version: string } & Record<string, number | string | null>;

const EMPTY: WindowStats = { calls: 0, success_rate: null, p95_ms: null, cost: '0' };

/**
 * The 24 h and 7 d figures of every version of a template, by version. Telemetry is not what the registry depends
 * on: when ClickHouse cannot answer, the versions are served without figures (null) and the failure is logged.
 */
export async function versionStats(
  client: ClickHouseClient,
  log: Logger,
  template: string,
  now = Date.now(),
): Promise<((version: string) => VersionStats) | undefined> {
  let rows: Row[];
  try {
    rows = await runQuery<Row>(client, versionStatsQuery(template, now));
  } catch (error) {
    log.warn('version figures unavailable: ClickHouse did not answer', { template, error });
    return undefined;
  }
  const byVersion = new Map(rows.map((r) => [r.version, r]));
  const window = (r: Row | undefined, suffix: '24h' | '7d'): WindowStats =>
    r
      ? {
          calls: Number(r[`calls_${suffix}`]),
          success_rate: r[`success_rate_${suffix}`] as number | null,
          p95_ms: r[`p95_ms_${suffix}`] as number | null,
          cost: String(r[`cost_${suffix}`]),
        }
      : EMPTY;
  return (version) => {
    const r = byVersion.get(version);
    return { last_24h: window(r, '24h'), last_7d: window(r, '7d') };
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
