import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadAlerting, startConfiguredScheduler } from '../alerts/start.ts';
import { startConfiguredRollupJob } from '../analytics/rollup-job.ts';
import type { Config } from '../config.ts';
import { listen } from '../platform/listen.ts';
import type { Logger } from '../platform/log.ts';
import { serveExposition } from '../platform/metrics.ts';
import { openStores } from '../server.ts';
import { createMigrators } from '../store/migrate.ts';
import { waitForSignal } from './signals.ts';

/**
 * `promptscope scheduler`: the alert evaluator alone, with its /metrics on PROMPTSCOPE_SCHEDULER_PORT. Run several
 * for availability: one evaluates (it holds a Postgres advisory lock), the others take over when it dies.
 */
export async function scheduler(config: Config, log: Logger, out: (s: string) => void): Promise<number> {
  const setup = await loadAlerting(config.alerts, process.env);
  const stores = await openStores(config, log);
  try {
    const migrators = await createMigrators(
      stores.postgres.sql,
      stores.clickhouse.client,
      log,
      stores.clickhouse.dialect,
    );
    await migrators.postgres.up();
    await migrators.clickhouse.up();
    const running = await startConfiguredScheduler(setup, {
      sql: stores.postgres.sql,
      clickhouse: stores.clickhouse.client,
      log,
      settings: config.alerts,
    });
    // The hourly rollup is built where the scheduler runs (a job of its own, with its own lock).
    const rollup = await startConfiguredRollupJob({
      sql: stores.postgres.sql,
      clickhouse: stores.clickhouse.client,
      log,
      retention: config.retention,
    });
    const server = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        serveExposition(res, [running.metrics.registry, rollup.metrics.registry]);
        return;
      }
      res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(
        req.url === '/health' ? JSON.stringify({ status: 'healthy', leader: running.isLeader() }) : '{}',
      );
    });
    await listen(server, config.alerts.schedulerPort, config.host, 'PROMPTSCOPE_SCHEDULER_PORT');
    const rules = setup.groups.reduce((n, g) => n + g.rules.length, 0);
    out(`promptscope scheduler is running (${running.isLeader() ? 'active evaluator' : 'standby'})
  rules          ${rules} in ${setup.groups.length} groups (${config.alerts.rulesPath})
  metrics        http://${config.host}:${(server.address() as AddressInfo).port}/metrics
  notifications  ${setup.receivers.join('\n                 ')}
Press Ctrl+C to stop.`);
    await waitForSignal(log);
    await running.stop();
    await rollup.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return 0;
  } finally {
    await stores.close();
  }
}
