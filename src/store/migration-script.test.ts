import { describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { runCli } from '../../test/support/cli.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { SINGLE } from './clickhouse-dialect.ts';
import { MIGRATIONS_DIR } from './migrate.ts';
import { clickhouseMigrationScript } from './migration-script.ts';
import { loadMigrations, splitStatements } from './migrations.ts';

describe('promptscope migrate sql: the ClickHouse statements, printed, nothing run', () => {
  it('run by hand on an empty database, makes the schema the migrator makes, and records it as applied', async () => {
    const { client, database } = await testClickHouse();
    await migrateClickHouse(client);
    const script = clickhouseMigrationScript(await loadMigrations(MIGRATIONS_DIR.clickhouse), SINGLE);
    const byHand = `${database}_by_hand`;
    await client.command({ query: `DROP DATABASE IF EXISTS ${byHand}` });
    await client.command({ query: `CREATE DATABASE ${byHand}` });
    // The embedded engine's session has one current database: this file's tests use it in turn.
    await client.command({ query: `USE ${byHand}` });
    try {
      for (const statement of splitStatements(script)) await client.command({ query: statement });
    } finally {
      await client.command({ query: `USE ${database}` });
    }
    const schema = async (db: string) =>
      await (
        await client.query({
          query: `SELECT t.name AS table, t.engine AS engine, t.sorting_key AS sorting_key,
                      arrayStringConcat(groupArray(c.name || ' ' || c.type), ', ') AS columns
                    FROM system.tables t LEFT JOIN system.columns c ON c.database = t.database AND c.table = t.name
                    WHERE t.database = {db:String} GROUP BY t.name, t.engine, t.sorting_key ORDER BY t.name`,
          query_params: { db },
          format: 'JSONEachRow',
        })
      ).json();
    const made = await schema(byHand);
    expect(made.length).toBeGreaterThan(8);
    expect(made).toEqual(await schema(database));
    const recorded = await (
      await client.query({
        query: `SELECT count() AS n FROM ${byHand}.schema_migrations WHERE direction = 'up'`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string | number }>();
    expect(Number(recorded[0]!.n)).toBe((await loadMigrations(MIGRATIONS_DIR.clickhouse)).length);
    await client.command({ query: `DROP DATABASE ${byHand}` });
  });

  it.each([
    [
      ['migrate', 'sql', '--cluster', 'prod', '--after', '12'],
      "for cluster 'prod': 0013_budget_status",
      'ON CLUSTER',
    ],
    [
      ['migrate', 'sql', '--cloud', '--after', '11'],
      'for ClickHouse Cloud: 0012_llm_calls_every_provider, 0013_budget_status',
      'ENGINE = MergeTree',
    ],
    [['migrate', 'sql', '--after', '13'], 'for one node: none pending', 'schema_migrations'],
  ])('%j prints the script without a database', async (argv, heading, contains) => {
    const res = await runCli(argv, {
      PATH: process.env.PATH,
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      DATABASE_URL: 'postgres://127.0.0.1:1/none',
    });
    expect(res.code).toBe(0);
    expect(res.out.split('\n')[0]).toBe(`-- promptscope's ClickHouse migrations ${heading}`);
    expect(res.out).toContain(contains);
  });

  it.each([
    [['migrate', 'sql', '--cluster', 'a b'], 'must be a cluster name'],
    [['migrate', 'sql', '--cluster', 'x', '--cloud'], '--cluster and --cloud are two different servers'],
    [['migrate', 'sql', '--after', 'last'], "--after takes a migration version (a whole number), not 'last'"],
  ])('%j is a usage error saying why', async (argv, message) => {
    const res = await runCli(argv, { PATH: process.env.PATH });
    expect(res.code).toBe(2);
    expect(res.out).toContain(message);
  });
});
