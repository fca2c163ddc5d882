import { ADVISORY_LOCKS } from './advisory-locks.ts';
import type { AppliedMigration, Migration } from './migrations.ts';
import type { MigrationTarget } from './migrator.ts';
import type { Sql } from './postgres.ts';

/** Postgres migrations: each in its own transaction, all under a session advisory lock. */
export function postgresMigrationTarget(sql: Sql): MigrationTarget {
  const ensureTable = () =>
    sql`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`;
  return {
    label: 'postgres',
    withLock: (fn) => withAdvisoryLock(sql, ADVISORY_LOCKS.postgresMigrations, fn),
    async applied(): Promise<AppliedMigration[]> {
      await ensureTable();
      const rows = await sql<{ version: number; name: string; checksum: string; applied_at: Date }[]>`
        select version, name, checksum, applied_at from schema_migrations order by version`;
      return rows.map((r) => ({
        version: r.version,
        name: r.name,
        checksum: r.checksum,
        appliedAt: r.applied_at,
      }));
    },
    async apply(m: Migration) {
      await sql.begin(async (tx) => {
        await tx.unsafe(m.up);
        await tx`insert into schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${m.checksum})`;
      });
    },
    async revert(m: Migration) {
      await sql.begin(async (tx) => {
        await tx.unsafe(m.down);
        await tx`delete from schema_migrations where version = ${m.version}`;
      });
    },
  };
}

/** Runs fn while this session holds a Postgres advisory lock; other holders wait. */
export async function withAdvisoryLock<T>(sql: Sql, key: number, fn: () => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${key})`;
    try {
      return await fn();
    } finally {
      await conn`select pg_advisory_unlock(${key})`;
    }
  } finally {
    conn.release();
  }
}
