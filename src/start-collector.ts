import type { PriceCatalog } from '#sdk/pricing';
import { type OtlpAuthorizer, startCollector } from '../collector/index.ts';
import type { Config } from './config.ts';
import type { Logger } from './platform/log.ts';
import type { Registry } from './platform/metrics.ts';
import type { ClickHouseStore } from './store/clickhouse.ts';
import { applyEmbeddedMergeSettings } from './store/embedded-merge-settings.ts';

/**
 * The collector with the deployment's settings, on the given ClickHouse (inserting on a worker when embedded). Kept
 * apart from server.ts, so `promptscope collector` loads none of the API's modules (about 11 MB of heap).
 */
export async function startConfiguredCollector(
  config: Config,
  clickhouse: ClickHouseStore,
  catalog: PriceCatalog,
  log: Logger,
  extraRegistries?: () => Registry[],
  authorize?: OtlpAuthorizer,
) {
  if (clickhouse.embedded) await applyEmbeddedMergeSettings(clickhouse.client);
  return startCollector({
    clickhouse: clickhouse.client,
    embeddedClickHouse: clickhouse.embedded
      ? { location: clickhouse.location, database: clickhouse.database }
      : undefined,
    catalog,
    log,
    dataDir: config.dataDir,
    host: config.otlpHost,
    port: config.otlpPort,
    authorize,
    maxBodyBytes: config.otlpMaxBodyBytes,
    maxSpoolBytes: config.spoolMaxBytes,
    maxInFlightBytes: config.otlpMaxInFlightBytes,
    headersTimeoutMs: config.otlpHeadersTimeoutSeconds * 1000,
    bodyIdleTimeoutMs: config.otlpBodyIdleTimeoutSeconds * 1000,
    requestTimeoutMs: config.otlpRequestTimeoutSeconds * 1000,
    extraRegistries,
  });
}
