import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { createTestDatabase } from '../../test/support/databases.ts';
import { silentLogger } from '../platform/log.ts';
import { clickhouseMigrationTarget } from './clickhouse-migration-target.ts';
import { loadMigrations, splitStatements } from './migrations.ts';
import { Migrator } from './migrator.ts';
import type { Sql } from './postgres.ts';
import { postgresMigrationTarget } from './postgres-migration-target.ts';

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-migrations-'));
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

const PG_FILES = {
  '0001_widgets.up.sql': 'create table widgets (id int primary key);',
  '0001_widgets.down.sql': 'drop table widgets;',
  '0002_gadgets.up.sql': 'create table gadgets (id int primary key); insert into gadgets values (1);',
  '0002_gadgets.down.sql': 'drop table gadgets;',
};

const tables = async (sql: Sql) =>
  (
    await sql<{ t: string }[]>`select tablename as t from pg_tables where schemaname = 'public' order by 1`
  ).map((r) => r.t);

describe('Postgres migrations', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const migrator = async (dir: string) =>
    new Migrator(postgresMigrationTarget(db.sql), await loadMigrations(dir), silentLogger);

  it('applies pending migrations in order, reverts them, and reports status', async () => {
    const m = await migrator(await migrationsDir(PG_FILES));
    expect((await m.status()).map((s) => s.state)).toEqual(['pending', 'pending']);
    expect((await m.up()).applied).toEqual(['0001_widgets', '0002_gadgets']);
    expect(await tables(db.sql)).toEqual(['gadgets', 'schema_migrations', 'widgets']);
    expect((await m.up()).applied).toEqual([]);
    expect((await m.down()).applied).toEqual(['0002_gadgets']);
    expect(await tables(db.sql)).toEqual(['schema_migrations', 'widgets']);
    expect((await m.status()).map((s) => s.state)).toEqual(['applied', 'pending']);
    expect((await m.down(5)).applied).toEqual(['0001_widgets']);
    expect(await tables(db.sql)).toEqual(['schema_migrations']);
  });

  it('refuses to run when an applied migration was edited, naming it', async () => {
    const dir = await migrationsDir(PG_FILES);
    await (await migrator(dir)).up();
    await fs.writeFile(
      path.join(dir, '0001_widgets.up.sql'),
      'create table widgets (id bigint primary key);',
    );
    const edited = await migrator(dir);
    expect((await edited.status())[0]!.state).toBe('changed');
    await expect(edited.up()).rejects.toThrow(
      /postgres migration 0001_widgets was edited after it was applied/,
    );
    await (await migrator(await migrationsDir(PG_FILES))).down(2);
  });

  it('a failing migration leaves nothing half-applied', async () => {
    const dir = await migrationsDir({
      '0001_bad.up.sql': 'create table half (id int); select * from no_such_table;',
      '0001_bad.down.sql': 'drop table half;',
    });
    await expect((await migrator(dir)).up()).rejects.toThrow(/0001_bad failed: .*no_such_table/);
    expect(await tables(db.sql)).toEqual(['schema_migrations']);
  });

  it('two runners starting at once apply each migration exactly once', async () => {
    const dir = await migrationsDir({
      ...PG_FILES,
      '0003_counter.up.sql': 'create table runs (n int); insert into runs values (1);',
      '0003_counter.down.sql': 'drop table runs;',
    });
    const [a, b] = await Promise.all([migrator(dir), migrator(dir)]);
    const results = await Promise.all([a.up(), b.up()]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual([
      '0001_widgets',
      '0002_gadgets',
      '0003_counter',
    ]);
    expect(await db.sql`select count(*)::int as n from runs`).toEqual([{ n: 1 }]);
    await a.down(3);
  });

  it('rejects a folder with an up file and no down file', async () => {
    const dir = await migrationsDir({ '0001_x.up.sql': 'select 1;' });
    await expect(loadMigrations(dir)).rejects.toThrow('migration 0001_x has no .down.sql');
  });
});

describe('ClickHouse migrations', () => {
  it('applies, records, refuses edits and reverts, one statement at a time', async () => {
    const { client } = await testClickHouse();
    const files = {
      '0001_events.up.sql':
        "CREATE TABLE IF NOT EXISTS events (a String) ENGINE = MergeTree ORDER BY a;\nINSERT INTO events VALUES ('x;y');",
      '0001_events.down.sql': 'DROP TABLE IF EXISTS events;',
    };
    const dir = await migrationsDir(files);
    const lock = <T>(fn: () => Promise<T>) => fn();
    const m = new Migrator(clickhouseMigrationTarget(client, lock), await loadMigrations(dir), silentLogger);
    expect((await m.up()).applied).toEqual(['0001_events']);
    const rows = await (await client.query({ query: 'SELECT a FROM events', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ a: 'x;y' }]);
    expect((await m.status()).map((s) => s.state)).toEqual(['applied']);

    await fs.writeFile(
      path.join(dir, '0001_events.up.sql'),
      'CREATE TABLE events (b String) ENGINE = Memory;',
    );
    const edited = new Migrator(
      clickhouseMigrationTarget(client, lock),
      await loadMigrations(dir),
      silentLogger,
    );
    await expect(edited.up()).rejects.toThrow(/clickhouse migration 0001_events was edited/);

    const original = new Migrator(
      clickhouseMigrationTarget(client, lock),
      await loadMigrations(await migrationsDir(files)),
      silentLogger,
    );
    expect((await original.down()).applied).toEqual(['0001_events']);
    expect((await original.status()).map((s) => s.state)).toEqual(['pending']);
    const exists = await (
      await client.query({
        query:
          "SELECT toUInt32(count()) AS n FROM system.tables WHERE name = 'events' AND database = currentDatabase()",
        format: 'JSONEachRow',
      })
    ).json();
    expect(exists).toEqual([{ n: 0 }]);
  });

  it('splits statements on semicolons outside quotes and comments', () => {
    expect(splitStatements("SELECT ';'; -- a; comment\nSELECT 2;\n")).toEqual(["SELECT ';'", 'SELECT 2']);
  });
});
