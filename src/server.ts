import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import { LlmTelemetry } from '#sdk';
import { loadPriceCatalog } from '#sdk/pricing';
import type { RunningScheduler } from './alerts/scheduler.ts';
import { type AlertingSetup, loadAlerting, startConfiguredScheduler } from './alerts/start.ts';
import { type RunningRollupJob, startConfiguredRollupJob } from './analytics/rollup-job.ts';
import { createApp } from './api/app.ts';
import { ResolvedPromptCache } from './api/resolved-prompt-cache.ts';
import { Authenticator } from './auth/authenticator.ts';
import { ensureBootstrapKey } from './auth/key-lifecycle.ts';
import { newProcessToken, otlpAuthorizer } from './auth/otlp-authorizer.ts';
import { type Config, otlpAuthRequired } from './config.ts';
import { listen, urlHost } from './platform/listen.ts';
import type { Logger } from './platform/log.ts';
import { selfTelemetryEndpoint, startSelfTelemetry } from './self-telemetry.ts';
import { startConfiguredCollector } from './start-collector.ts';
import { ChangeFeed } from './store/change-feed.ts';
import { type ClickHouseStore, openClickHouse } from './store/clickhouse.ts';
import { createMigrators } from './store/migrate.ts';
import { openPostgres, type PostgresStore } from './store/postgres.ts';
import { applyRetention } from './store/retention.ts';
import { VERSION } from './version.ts';

export interface Stores {
  postgres: PostgresStore;
  clickhouse: ClickHouseStore;
  close(): Promise<void>;
}

/** Opens both stores (embedded when no URL is configured). */
export async function openStores(config: Config, log: Logger): Promise<Stores> {
  const postgres = await openPostgres({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    embeddedPort: config.embeddedPostgresPort,
    log,
  });
  let clickhouse: ClickHouseStore;
  try {
    clickhouse = await openClickHouse({
      clickhouseUrl: config.clickhouseUrl,
      database: config.clickhouseDatabase,
      dataDir: config.dataDir,
      cluster: config.clickhouseCluster,
    });
  } catch (error) {
    await postgres.close();
    throw error;
  }
  return {
    postgres,
    clickhouse,
    async close() {
      await clickhouse.close();
      await postgres.close();
    },
  };
}

export interface RunningSystem {
  apiUrl: string;
  /** Where spans go, when this process runs the collector. */
  otlpUrl: string | undefined;
  stores: Stores;
  /** The alert integrations, on or off (when this process runs the scheduler). */
  alerting: AlertingSetup | undefined;
  /** Set on the very first start: the admin key that was created, and where it was written. */
  bootstrapKey?: { key: string; file: string };
  migrations: { postgres: string[]; clickhouse: string[] };
  stop(): Promise<void>;
}

/** `promptscope start`: stores, migrations, first admin key, and the API, in one process. */
export async function startSystem(
  config: Config,
  log: Logger,
  roles: { collector: boolean; scheduler: boolean } = { collector: true, scheduler: true },
): Promise<RunningSystem> {
  const stores = await openStores(config, log);
  const stopping: (() => Promise<void>)[] = [() => stores.close()];
  const stopAll = async () => {
    for (const stop of stopping.splice(0).reverse()) {
      await stop().catch((error) => log.error('error while stopping', { error }));
    }
  };
  try {
    const { sql } = stores.postgres;
    const migrators = await createMigrators(sql, stores.clickhouse.client, log, stores.clickhouse.dialect);
    const pg = await migrators.postgres.up();
    const ch = await migrators.clickhouse.up();
    const bootstrapKey = await ensureBootstrapKey(sql, config.bootstrapKeyFile);
    await applyRetention(stores.clickhouse.client, config.retention, stores.clickhouse.dialect);
    const catalog = loadPriceCatalog({ overridesFile: config.pricesFile });
    const alerting = await loadAlerting(config.alerts, process.env);
    let scheduler: RunningScheduler | undefined;
    let rollup: RunningRollupJob | undefined;
    /** The scheduler's and the rollup job's metrics, on the collector's /metrics in this process. */
    const jobRegistries = () =>
      [scheduler?.metrics.registry, rollup?.metrics.registry].filter((r) => r !== undefined);
    const auth = new Authenticator({ sql, log });
    // The server's own spans reach its in-process collector with a secret of this process, never stored.
    const keysRequired = otlpAuthRequired(config);
    const processToken = keysRequired ? newProcessToken() : undefined;
    const collector = roles.collector
      ? await startConfiguredCollector(
          config,
          stores.clickhouse,
          catalog,
          log,
          jobRegistries,
          keysRequired ? otlpAuthorizer(auth, processToken) : undefined,
        )
      : undefined;
    if (collector) stopping.push(() => collector.stop());

    const self = startSelfTelemetry(
      selfTelemetryEndpoint(collector?.url, config.otlpPort),
      VERSION,
      collector && processToken ? { authorization: `Bearer ${processToken}` } : undefined,
    );
    // Pushed after the collector: stopped first, so its last spans still reach the collector.
    stopping.push(() => self.shutdown());
    const promptCache = new ResolvedPromptCache();
    const changes = await ChangeFeed.start(sql, log);
    stopping.push(() => changes.close());
    const app = createApp({
      sql,
      clickhouse: stores.clickhouse,
      config,
      log,
      auth,
      promptCache,
      postgresEmbedded: stores.postgres.embedded,
      changes,
      alertRules: alerting.groups,
      prices: catalog,
      telemetry: new LlmTelemetry({ disabled: false, prices: catalog, tracerProvider: self.provider }),
    });
    const server = createAdaptorServer({ fetch: app.fetch });
    await listen(server, config.port, config.host, 'PORT');
    stopping.push(() => closeServer(server));
    const address = server.address() as AddressInfo;
    const apiUrl = `http://${urlHost(config.host)}:${address.port}`;
    if (roles.scheduler) {
      scheduler = await startConfiguredScheduler(alerting, {
        sql,
        clickhouse: stores.clickhouse.client,
        log,
        settings: config.alerts,
        localCollector: collector && {
          url: collector.url,
          registries: () => [collector.metrics.registry, ...jobRegistries()],
        },
        apiUrl,
      });
      const running = scheduler;
      stopping.push(() => running.stop());
      // The hourly rollup is built where the scheduler runs (a job of its own, with its own lock).
      const job = await startConfiguredRollupJob({
        sql,
        clickhouse: stores.clickhouse.client,
        log,
        retention: config.retention,
      });
      rollup = job;
      stopping.push(() => job.stop());
    }
    return {
      apiUrl,
      alerting: roles.scheduler ? alerting : undefined,
      otlpUrl: collector ? `${collector.url}/v1/traces` : undefined,
      stores,
      bootstrapKey,
      migrations: { postgres: pg.applied, clickhouse: ch.applied },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
