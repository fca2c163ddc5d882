import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
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
