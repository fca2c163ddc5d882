import type { Config } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import { openClickHouse } from '../store/clickhouse.ts';
import { createMigrators } from '../store/migrate.ts';
import { migrationId } from '../store/migrations.ts';
import { openConfiguredPostgres } from './stores.ts';

/** `promptscope migrate up | down [N] | status`. */
export async function migrate(
  config: Config,
  log: Logger,
  args: string[],
  out: (s: string) => void,
): Promise<number> {
  const [action = 'status', count] = args;
  if (!['up', 'down', 'status'].includes(action)) {
    process.stderr.write(`migrate takes up, down [N] or status, not '${action}'\n`);
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
    });
    try {
      const migrators = await createMigrators(pg.sql, ch.client, log);
      for (const [store, migrator] of Object.entries(migrators)) {
        if (action === 'status') {
          for (const s of await migrator.status()) {
            out(
              `${store.padEnd(10)} ${migrationId(s).padEnd(40)} ${s.state}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ''}`,
            );
          }
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
