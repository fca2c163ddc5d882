import type { Config } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import { openPostgres } from '../store/postgres.ts';

/** The deployment's Postgres (embedded when DATABASE_URL is unset), for CLI commands that change it. */
export function openConfiguredPostgres(config: Config, log: Logger) {
  return openPostgres({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    embeddedPort: config.embeddedPostgresPort,
    log,
  });
}
