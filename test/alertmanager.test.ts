import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import type { Labels } from '../src/alerts/labels.ts';
import { AlertMetrics } from '../src/alerts/metrics.ts';
import { AlertmanagerForwarder } from '../src/alerts/notifications/alertmanager-forwarder.ts';
import { parseNotificationConfig } from '../src/alerts/notifications/config.ts';
import { SHIPPED_ALERTS } from '../src/config.ts';
import { freePort } from '../src/platform/listen.ts';
import { silentLogger } from '../src/platform/log.ts';
import { recordEvaluation } from './support/alerts.ts';
import { eventually } from './support/collector.ts';
import { createMigratedTestDatabase } from './support/databases.ts';

const run = promisify(execFile);

/**
 * promptscope against a real Alertmanager (Debian's prometheus-alertmanager, which .ci/run installs), served under a
 * route prefix as many deployments do.
 */
describe('a real Alertmanager gets alerts as Prometheus sends them', () => {
  let dir: string;
  let port: number;
  let am: ChildProcess | undefined;
  let db: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  const base = () => `http://127.0.0.1:${port}/am`;

  async function startAlertmanager() {
    am = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.route-prefix=/am',
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await eventually(
      async () => (await fetch(`${base()}/-/ready`).catch(() => undefined))?.ok,
      'Alertmanager to be ready',
    );
  }
  async function stopAlertmanager() {
    if (!am || am.exitCode !== null) return;
    const exited = new Promise((r) => am!.once('exit', r));
    am.kill('SIGTERM');
    await exited;
  }
  /** What Alertmanager holds, as on-call's amtool lists it. */
  async function held(): Promise<{ labels: Labels; endsAt: string; status: { state: string } }[]> {
    const { stdout } = await run('amtool', [`--alertmanager.url=${base()}`, 'alert', 'query', '-o', 'json']);
    return JSON.parse(stdout);
  }

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-am-'));
    await fs.writeFile(
      path.join(dir, 'alertmanager.yml'),
      'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n',
    );
    port = await freePort();
    db = await createMigratedTestDatabase();
    await startAlertmanager();
  });
  afterAll(async () => {
    await stopAlertmanager();
    await db?.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const evaluate = (active: Labels[], at: number) =>
    recordEvaluation(db.sql, 'llm-calls/HighErrorRate', active, at);

  it('the alert arrives with endsAt minutes ahead, is back soon after an Alertmanager restart, and resolves after the breach', async () => {
    const config = parseNotificationConfig(
      'n.yaml',
      'route: { receiver: none }\nreceivers: [{ name: none }]\nalertmanagers:\n  - { url_env: AM_URL, resend_delay: 3s }\n',
      { AM_URL: base() },
    );
    const metrics = new AlertMetrics();
    const forwarder = new AlertmanagerForwarder({
      targets: config.alertmanagers,
      sql: db.sql,
      log: silentLogger,
      externalUrl: 'http://promptscope.example',
      metrics,
    });
    // The scheduler calls the forwarder every second; so does this loop.
    let ticking = true;
    const loop = (async () => {
      while (ticking) {
        await forwarder.tick(Date.now());
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      const labels = { alertname: 'HighErrorRate', template: 'checkout', severity: 'page' };
      await evaluate([labels], Date.now());
      const [alert] = await eventually(async () => {
        const alerts = await held();
        return alerts.length ? alerts : undefined;
      }, 'the alert in Alertmanager');
      expect(alert!.labels).toEqual(labels);
      expect(alert!.status.state).toBe('active');
      const ahead = Date.parse(alert!.endsAt) - Date.now();
      expect(ahead).toBeGreaterThan(0);
      expect(ahead).toBeLessThanOrEqual(10 * 60_000); // 4 × the resend delay; never hours

      // Alertmanager keeps alerts in memory only: after a restart it learns them again from the next resend.
      await stopAlertmanager();
      await startAlertmanager();
      expect(await held()).toEqual([]);
      await eventually(async () => (await held()).length === 1, 'the alert back after the restart', 60_000);

      // The breach ends: the alert is sent resolved, with its end time, and Alertmanager no longer lists it.
      await evaluate([], Date.now());
      await eventually(async () => (await held()).length === 0, 'the alert to resolve in Alertmanager');
      expect(metrics.alertmanagerAlertsSent).toBeGreaterThanOrEqual(3);
    } finally {
      ticking = false;
      await loop;
    }
  }, 90_000);

  it('the shipped notification file is Alertmanager configuration: amtool check-config accepts it once each *_env names a value', async () => {
    const doc = parseDocument(await fs.readFile(SHIPPED_ALERTS.notifications, 'utf8')).toJS();
    // What the file names as environment variables, written in as Alertmanager wants them; our alertmanagers list
    // is Prometheus's setting, not Alertmanager's.
    delete doc.alertmanagers;
    for (const r of doc.receivers) {
      for (const w of r.webhook_configs ?? []) {
        w.url = 'http://hooks.example/alert';
        delete w.url_env;
        delete w.secret_env;
      }
      for (const s of r.slack_configs ?? []) {
        s.api_url = 'https://hooks.slack.example/services/x';
        s.channel = '#alerts';
        delete s.url_env;
      }
      for (const p of r.pagerduty_configs ?? []) {
        p.routing_key = 'x';
        p.url = 'https://events.pagerduty.example/v2/enqueue';
        delete p.routing_key_env;
        delete p.url_env;
      }
    }
    const file = path.join(dir, 'converted.yml');
    await fs.writeFile(file, stringify(doc));
    const { stdout } = await run('amtool', ['check-config', file]);
    expect(stdout).toContain('SUCCESS');
    expect(stdout).toMatch(
      /Found:\s*\n\s*- global config\s*\n\s*- route\s*\n\s*- 1 inhibit rules\s*\n\s*- 2 receivers/,
    );
  });
});
