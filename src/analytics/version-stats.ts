import type { Logger } from '../platform/log.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { runQuery, versionStatsQuery } from './figures.ts';

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
