import { loadPriceCatalog } from '#sdk/pricing';
import type { OtlpAuthorizer } from '../../collector/index.ts';
import { Authenticator } from '../auth/authenticator.ts';
import { otlpAuthorizer } from '../auth/otlp-authorizer.ts';
import { type Config, otlpAuthRequired } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import { startConfiguredCollector } from '../start-collector.ts';
import { openClickHouse } from '../store/clickhouse.ts';
import { openPostgres, type PostgresStore } from '../store/postgres.ts';
import { waitForSignal } from './signals.ts';

/**
 * `promptscope collector`: the OTLP/HTTP collector alone, on migrated tables. When it requires keys
 * (PROMPTSCOPE_OTLP_AUTH) it reads them from Postgres; a revoked key is refused within the key cache's 5 s.
 */
export async function collector(config: Config, log: Logger, out: (s: string) => void): Promise<number> {
  const ch = await openClickHouse({
    clickhouseUrl: config.clickhouseUrl,
    database: config.clickhouseDatabase,
    dataDir: config.dataDir,
    cluster: config.clickhouseCluster,
  });
  let postgres: PostgresStore | undefined;
  try {
    const rs = await ch.client.query({
      query:
        "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_traces', 'llm_calls')",
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: number | string }>();
    if (Number(row?.n) < 2) {
      process.stderr.write("the ClickHouse tables are missing: run 'promptscope migrate up' first\n");
      return 1;
    }
    let authorize: OtlpAuthorizer | undefined;
    if (otlpAuthRequired(config)) {
      postgres = await openPostgres({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        embeddedPort: config.embeddedPostgresPort,
        log,
      });
      authorize = otlpAuthorizer(new Authenticator({ sql: postgres.sql, log }));
    }
    const running = await startConfiguredCollector(
      config,
      ch,
      loadPriceCatalog({ overridesFile: config.pricesFile }),
      log,
      undefined,
      authorize,
    );
    out(`promptscope collector is running
  OTLP/HTTP      ${running.url}/v1/traces  (${authorize ? 'a telemetry:write key required' : 'no key required'})
  metrics        ${running.url}/metrics
  ClickHouse     ${ch.embedded ? 'embedded' : 'external'} (${ch.location})
  spool          ${config.dataDir}/spool
Press Ctrl+C to stop.`);
    await waitForSignal(log);
    await running.stop();
    return 0;
  } finally {
    await postgres?.close();
    await ch.close();
  }
}
