import { loadPriceCatalog } from '#sdk/pricing/catalog.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { startConfiguredCollector } from '../server.ts';
import { openClickHouse } from '../store/clickhouse.ts';
import { waitForSignal } from './signals.ts';

/** `promptscope collector`: the OTLP/HTTP collector alone, on migrated tables. */
export async function collector(config: Config, log: Logger, out: (s: string) => void): Promise<number> {
  const ch = await openClickHouse({
    clickhouseUrl: config.clickhouseUrl,
    database: config.clickhouseDatabase,
    dataDir: config.dataDir,
  });
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
    const running = await startConfiguredCollector(
      config,
      ch,
      loadPriceCatalog({ overridesFile: config.pricesFile }),
      log,
    );
    out(`promptscope collector is running
  OTLP/HTTP      ${running.url}/v1/traces
  metrics        ${running.url}/metrics
  ClickHouse     ${ch.embedded ? 'embedded' : 'external'} (${ch.location})
  spool          ${config.dataDir}/spool
Press Ctrl+C to stop.`);
    await waitForSignal(log);
    await running.stop();
    return 0;
  } finally {
    await ch.close();
  }
}
