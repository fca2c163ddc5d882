import { fileURLToPath } from 'node:url';
import type { Logger } from '../platform/log.ts';
import { ADVISORY_LOCKS } from './advisory-locks.ts';
import type { ClickHouseClient } from './clickhouse.ts';
import { type ClickHouseDialect, SINGLE } from './clickhouse-dialect.ts';
import { clickhouseMigrationTarget } from './clickhouse-migration-target.ts';
import { loadMigrations } from './migrations.ts';
import { Migrator } from './migrator.ts';
import type { Sql } from './postgres.ts';
import { postgresMigrationTarget, withAdvisoryLock } from './postgres-migration-target.ts';

export const MIGRATIONS_DIR = {
  postgres: fileURLToPath(new URL('../../migrations/postgres', import.meta.url)),
  clickhouse: fileURLToPath(new URL('../../migrations/clickhouse', import.meta.url)),
};

export async function createPostgresMigrator(sql: Sql, log: Logger): Promise<Migrator> {
  return new Migrator(postgresMigrationTarget(sql), await loadMigrations(MIGRATIONS_DIR.postgres), log);
}

/** ClickHouse's migrator borrows a Postgres advisory lock, so concurrent starts apply each migration once. */
export async function createClickHouseMigrator(
  sql: Sql,
  clickhouse: ClickHouseClient,
  log: Logger,
  dialect: ClickHouseDialect = SINGLE,
): Promise<Migrator> {
  return new Migrator(
    clickhouseMigrationTarget(
      clickhouse,
      (fn) => withAdvisoryLock(sql, ADVISORY_LOCKS.clickhouseMigrations, fn),
      dialect,
    ),
    await loadMigrations(MIGRATIONS_DIR.clickhouse),
    log,
  );
}

/**
 * A ClickHouse migrator without a lock, for a database only this process uses (a scratch database for rule checks
 * and tests); `upTo` stops after that migration version.
 */
export async function createUnlockedClickHouseMigrator(
  clickhouse: ClickHouseClient,
  log: Logger,
  upTo = Number.POSITIVE_INFINITY,
): Promise<Migrator> {
  const migrations = (await loadMigrations(MIGRATIONS_DIR.clickhouse)).filter((m) => m.version <= upTo);
  return new Migrator(
    clickhouseMigrationTarget(clickhouse, (fn) => fn()),
    migrations,
    log,
  );
}

/** Both migrators, Postgres first; ClickHouse's in the form the server takes. */
export async function createMigrators(
  sql: Sql,
  clickhouse: ClickHouseClient,
  log: Logger,
  dialect: ClickHouseDialect = SINGLE,
) {
  return {
    postgres: await createPostgresMigrator(sql, log),
    clickhouse: await createClickHouseMigrator(sql, clickhouse, log, dialect),
  };
}
