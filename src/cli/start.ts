import { type Config, otlpAuthRequired } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import { startSystem } from '../server.ts';
import { waitForSignal } from './signals.ts';

/** `promptscope start` (every role in one process) and `promptscope api` (the API alone). */
export async function start(
  config: Config,
  log: Logger,
  out: (s: string) => void,
  roles: { collector: boolean; scheduler: boolean },
): Promise<number> {
  const system = await startSystem(config, log, roles);
  const { postgres, clickhouse } = system.stores;
  out(`promptscope is running
  API            ${system.apiUrl}
  OpenAPI        ${system.apiUrl}/openapi.json
  API reference  ${system.apiUrl}/docs${system.otlpUrl ? `\n  OTLP/HTTP      ${system.otlpUrl}  (collector, ${otlpAuthRequired(config) ? 'a telemetry:write key required' : 'no key required'}; self-metrics at /metrics)` : ''}
  Postgres       ${postgres.embedded ? 'embedded' : 'external'}${postgres.embedded ? ` (${config.dataDir}/postgres)` : ''}
  ClickHouse     ${clickhouse.embedded ? 'embedded' : 'external'} (${clickhouse.location})
  data dir       ${config.dataDir}`);
  if (system.alerting) {
    const rules = system.alerting.groups.reduce((n, g) => n + g.rules.length, 0);
    out(`  alerts         ${rules} rules (${config.alerts.rulesPath}); notifications:`);
    for (const line of system.alerting.receivers) out(`                   ${line}`);
  }
  const applied = [...system.migrations.postgres, ...system.migrations.clickhouse];
  if (applied.length > 0) out(`  migrations     applied ${applied.join(', ')}`);
  if (system.bootstrapKey) {
    out(`
First start: created an admin API key. It is shown only this once and saved (mode 0600) in
  ${system.bootstrapKey.file}

  export PROMPTSCOPE_KEY=${system.bootstrapKey.key}
`);
  }
  out('Press Ctrl+C to stop.');
  await waitForSignal(log);
  await system.stop();
  return 0;
}
