import type { ClickHouseClient } from './clickhouse.ts';
import { type AppliedMigration, type Migration, splitStatements } from './migrations.ts';
import type { MigrationTarget } from './migrator.ts';

/**
 * ClickHouse migrations: statements run one by one (ClickHouse has no DDL transactions, so migrations are
 * written idempotently with IF [NOT] EXISTS). The record is an append-only event log, which also works on a
 * replicated cluster; the lock is lent by the caller (a Postgres advisory lock).
 */
export function clickhouseMigrationTarget(
  client: ClickHouseClient,
  withLock: <T>(fn: () => Promise<T>) => Promise<T>,
): MigrationTarget {
  const ensureTable = () =>
    client.command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations (
        version UInt32, name String, checksum String, direction Enum8('up' = 1, 'down' = 2),
        at DateTime64(6) DEFAULT now64(6)
      ) ENGINE = MergeTree ORDER BY (version, at)`,
    });
  const record = (m: Migration, direction: 'up' | 'down') =>
    client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum, direction }],
      format: 'JSONEachRow',
    });
  const run = async (text: string) => {
    for (const statement of splitStatements(text)) await client.command({ query: statement });
  };
  return {
    label: 'clickhouse',
    withLock,
    async applied(): Promise<AppliedMigration[]> {
      await ensureTable();
      const rs = await client.query({
        query: `SELECT version, argMax(name, at) AS name, argMax(checksum, at) AS checksum,
                  argMax(direction, at) AS last, max(at) AS applied_at
                FROM schema_migrations GROUP BY version HAVING last = 'up' ORDER BY version`,
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ version: number; name: string; checksum: string; applied_at: string }>();
      return rows.map((r) => ({
        version: Number(r.version),
        name: r.name,
        checksum: r.checksum,
        appliedAt: new Date(`${r.applied_at.replace(' ', 'T')}Z`),
      }));
    },
    async apply(m) {
      await run(m.up);
      await record(m, 'up');
    },
    async revert(m) {
      await run(m.down);
      await record(m, 'down');
    },
  };
}
