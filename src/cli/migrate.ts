import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { openClickHouse } from '../store/clickhouse.ts';
import { type ClickHouseDialect, clusterDialect, SINGLE } from '../store/clickhouse-dialect.ts';
import { createMigrators, MIGRATIONS_DIR } from '../store/migrate.ts';
import { clickhouseMigrationScript } from '../store/migration-script.ts';
import { loadMigrations, migrationId } from '../store/migrations.ts';
import { openConfiguredPostgres } from './stores.ts';
import { usageError } from './usage.ts';

/**
 * `promptscope migrate sql [--cluster NAME | --cloud] [--after VERSION]`: the ClickHouse statements, printed, nothing
 * run (no connection needed).
 */
async function printScript(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  let values: { cluster?: string; cloud?: boolean; after?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { cluster: { type: 'string' }, cloud: { type: 'boolean' }, after: { type: 'string' } },
    }));
  } catch (error) {
    return usageError(['migrate'], (error as Error).message);
  }
  const cluster = values.cluster ?? config.clickhouseCluster;
  if (cluster && values.cloud)
    return usageError(['migrate'], '--cluster and --cloud are two different servers');
  const after = Number(values.after ?? 0);
  if (!Number.isInteger(after) || after < 0)
    return usageError(
      ['migrate'],
      `--after takes a migration version (a whole number), not '${values.after}'`,
    );
  let dialect: ClickHouseDialect = SINGLE;
  try {
    if (cluster) dialect = clusterDialect(cluster);
    else if (values.cloud) dialect = { kind: 'cloud' };
  } catch (error) {
    return usageError(['migrate'], (error as Error).message);
  }
  out(clickhouseMigrationScript(await loadMigrations(MIGRATIONS_DIR.clickhouse), dialect, after).trimEnd());
  return 0;
}

/** On a cluster, each node's copy of the record: the newest migration it holds (a replica behind shows here). */
async function nodeStatus(client: ClickHouseClient, cluster: string): Promise<string[]> {
  try {
    const rs = await client.query({
      query: `SELECT host, max(version) AS newest, count() AS applied FROM (
                SELECT hostName() AS host, version, argMax(direction, at) AS last
                FROM clusterAllReplicas({cluster:String}, currentDatabase(), schema_migrations)
                GROUP BY host, version HAVING last = 'up')
              GROUP BY host ORDER BY host`,
      query_params: { cluster },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ host: string; newest: number; applied: string | number }>();
    return rows.map(
      (r) => `clickhouse node ${r.host}: newest ${String(r.newest).padStart(4, '0')}, ${r.applied} applied`,
    );
  } catch (error) {
    return [`clickhouse nodes: not read (${(error as Error).message.split('\n')[0]})`];
  }
}

/** `promptscope migrate up | down [N] | status | sql`. */
export async function migrate(
  config: Config,
  log: Logger,
  args: string[],
  out: (s: string) => void,
): Promise<number> {
  const [action = 'status', count] = args;
  if (action === 'sql') return printScript(config, args.slice(1), out);
  if (!['up', 'down', 'status'].includes(action)) {
    process.stderr.write(`migrate takes up, down [N], status or sql, not '${action}'\n`);
    return 2;
  }
  const steps = count === undefined ? 1 : Number(count);
  if (!Number.isInteger(steps) || steps < 1) {
    process.stderr.write(`migrate down takes a positive whole number of steps, not '${count}'\n`);
    return 2;
  }
  const pg = await openConfiguredPostgres(config, log);
  try {
    const ch = await openClickHouse({
      clickhouseUrl: config.clickhouseUrl,
      database: config.clickhouseDatabase,
      dataDir: config.dataDir,
      cluster: config.clickhouseCluster,
    });
    try {
      const migrators = await createMigrators(pg.sql, ch.client, log, ch.dialect);
      for (const [store, migrator] of Object.entries(migrators)) {
        if (action === 'status') {
          for (const s of await migrator.status()) {
            out(
              `${store.padEnd(10)} ${migrationId(s).padEnd(40)} ${s.state}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ''}`,
            );
          }
          if (store === 'clickhouse' && ch.dialect.kind === 'cluster')
            for (const line of await nodeStatus(ch.client, ch.dialect.cluster)) out(line);
          continue;
        }
        // down reverts ClickHouse before Postgres; up goes the other way.
        const result = action === 'up' ? await migrator.up() : undefined;
        if (result)
          out(`${store}: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'up to date'}`);
      }
      if (action === 'down') {
        for (const store of ['clickhouse', 'postgres'] as const) {
          const result = await migrators[store].down(steps);
          out(
            `${store}: ${result.applied.length ? `reverted ${result.applied.join(', ')}` : 'nothing to revert'}`,
          );
        }
      }
    } finally {
      await ch.close();
    }
  } finally {
    await pg.close();
  }
  return 0;
}
