import type { ClickHouseClient } from './clickhouse.ts';
import {
  type ClickHouseDialect,
  migrationStatements,
  SINGLE,
  schemaMigrationsTable,
} from './clickhouse-dialect.ts';
import type { AppliedMigration, Migration } from './migrations.ts';
import type { MigrationTarget } from './migrator.ts';

/**
 * ClickHouse migrations: statements run one by one (ClickHouse has no DDL transactions, so migrations are
 * written idempotently with IF [NOT] EXISTS), each in the form the dialect takes (on a cluster: ON CLUSTER, shard and
 * Distributed tables). The record is an append-only event log, replicated to every node on a cluster; the lock is
 * lent by the caller (a Postgres advisory lock).
 */
export function clickhouseMigrationTarget(
  client: ClickHouseClient,
  withLock: <T>(fn: () => Promise<T>) => Promise<T>,
  dialect: ClickHouseDialect = SINGLE,
): MigrationTarget {
  const ensureTable = () => client.command({ query: schemaMigrationsTable(dialect) });
  const record = (m: Migration, direction: 'up' | 'down') =>
    client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum, direction }],
      format: 'JSONEachRow',
    });
  const run = async (text: string) => {
    for (const query of migrationStatements(text, dialect)) await client.command({ query });
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
