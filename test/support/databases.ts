import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { silentLogger } from '../../src/platform/log.ts';
import { createPostgresMigrator } from '../../src/store/migrate.ts';
import { connectPostgres, type Sql } from '../../src/store/postgres.ts';

/** A fresh, empty Postgres database on the test server; dropped by the returned cleanup. */
export async function createTestDatabase(): Promise<{ sql: Sql; url: string; drop: () => Promise<void> }> {
  const serverUrl = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = connectPostgres(serverUrl, 1);
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const sql = connectPostgres(url.toString(), 10);
  return {
    sql,
    url: url.toString(),
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** A fresh database with every Postgres migration applied. */
export async function createMigratedTestDatabase(): ReturnType<typeof createTestDatabase> {
  const db = await createTestDatabase();
  await (await createPostgresMigrator(db.sql, silentLogger)).up();
  return db;
}
