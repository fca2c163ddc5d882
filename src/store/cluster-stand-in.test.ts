import { describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { errorsQuery, type Query, runQuery, topCallsQuery, usageQuery } from '../analytics/figures.ts';
import { summaryQuery } from '../analytics/llm-calls.ts';
import { REPORT_NAMES, reportQuery } from '../analytics/reports.ts';
import { silentLogger } from '../platform/log.ts';
import { loadSyntheticCalls } from '../testing/synthetic-calls.ts';
import { clusterDialect, migrationStatements } from './clickhouse-dialect.ts';
import { createUnlockedClickHouseMigrator, MIGRATIONS_DIR } from './migrate.ts';
import { loadMigrations } from './migrations.ts';

const CLUSTER = clusterDialect('promptscope');

/**
 * The clustered DDL as one shard of it runs without Keeper or a cluster: the same shard tables and materialized
 * views, with the replicated engines' plain kinds, and a Merge table standing in for each Distributed one (it reads
 * the shard table as a Distributed table reads all of them). What chDB cannot run — ON CLUSTER, Keeper paths,
 * Distributed inserts — is all that is changed.
 */
function standIn(statement: string): string {
  const s = statement
    .replaceAll(" ON CLUSTER 'promptscope'", '')
    .replace(/Replicated(\w*MergeTree)\('[^']*', '\{replica\}'(, )?/g, '$1(')
    .replace(/\breplicated_deduplication_window\b/g, 'non_replicated_deduplication_window')
    .replace(
      /ENGINE = Distributed\('promptscope', currentDatabase\(\), '(\w+)', [^\n]+\)$/,
      "ENGINE = Merge(currentDatabase(), '^$1$$')",
    );
  // A backfill goes through the Distributed table; here, into the one shard.
  return s.replace(
    /^INSERT INTO (\w+)(.*?) SETTINGS distributed_foreground_insert = 1 /s,
    'INSERT INTO $1_local$2 ',
  );
}

describe('the clustered schema, one shard of it run by the engine', () => {
  it('fills its shard tables through the rewritten views, and every figure reads the same as on one node', async () => {
    const { client, database } = await testClickHouse();
    const shard = `${database}_shard`;
    const one = `${database}_one`;
    const use = (db: string) => client.command({ query: `USE ${db}` });
    const from = Date.now() - 30 * 86_400_000;
    try {
      for (const db of [shard, one]) {
        await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
        await client.command({ query: `CREATE DATABASE ${db}` });
      }
      // One node, as the migrator makes it, and the calls sent to its otel_traces.
      await use(one);
      await (await createUnlockedClickHouseMigrator(client, silentLogger)).up();
      await loadSyntheticCalls(client, from, 20_000);
      // One shard: every clustered statement of every migration, as the stand-in runs it, and the same calls sent to
      // the shard table of otel_traces (what a Distributed insert does on the shard the key picks).
      await use(shard);
      for (const m of await loadMigrations(MIGRATIONS_DIR.clickhouse))
        for (const clustered of migrationStatements(m.up, CLUSTER))
          await client.command({ query: standIn(clustered) });
      await loadSyntheticCalls(client, from, 20_000, 'otel_traces_local');
      const localRows = await runQuery<{ n: string }>(client, {
        sql: 'SELECT toString(count()) AS n FROM llm_calls_local',
        params: {},
      });
      expect(localRows[0]!.n).toBe('20000');

      const slice = { from, to: Date.now() + 1000 };
      const queries: [string, Query][] = [
        ['usage, every figure', usageQuery(slice)],
        ['usage by template per day', usageQuery({ ...slice, step: 'day', groupBy: ['template'] })],
        ['errors by template', errorsQuery({ ...slice, groupBy: ['template'] })],
        ['top calls', topCallsQuery(slice, 20)],
        ['summary', summaryQuery(30 * 86_400, Date.now())],
        [
          'top users',
          usageQuery({ ...slice, groupBy: ['user'] }, ['calls', 'cost'], { orderBy: 'cost', limit: 5 }),
        ],
        ...REPORT_NAMES.map((name): [string, Query] => [
          `report ${name}`,
          reportQuery(name, { to: Date.now() }),
        ]),
      ];
      for (const [name, q] of queries) {
        await use(one);
        const expected = await runQuery(client, q);
        await use(shard);
        expect(await runQuery(client, q), name).toEqual(expected);
        expect(expected.length, name).toBeGreaterThan(0);
      }
    } finally {
      await use(database);
      for (const db of [shard, one]) await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    }
  }, 120_000);
});
