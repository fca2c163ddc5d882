import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../src/store/postgres.ts';
import { type CliProcess, exited, startCli } from './support/cli.ts';
import { eventually } from './support/collector.ts';
import { createTestDatabase } from './support/databases.ts';

/**
 * The scheduler as processes, the way it is deployed: `promptscope scheduler` against a shared Postgres, killed
 * with SIGKILL at the worst moments. The rule reads a metric from a local /metrics page the test switches on and
 * off; notifications go to a local webhook that records every request.
 */

const INTERVAL_MS = 2000;
const RULES = `groups:
  - name: fault
    interval: 2s
    query_offset: 0s
    query_timeout: 1s
    rules:
      - alert: SwitchOn
        metric: test_alert_switch
        condition: '> 0'
        labels: { severity: page }
        annotations: { summary: 'switch {{ $labels.lane }} is on' }
      # A query that never finishes in time: its rule fails, the other still evaluates.
      - alert: Hung
        sql: SELECT sleepEachRow(1) + 1 AS value FROM numbers(30) SETTINGS max_block_size = 1, function_sleep_max_microseconds_per_block = 60000000
        condition: '> 0'
`;
const NOTIFICATIONS = `route: { receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s, repeat_interval: 4h }
receivers:
  - name: hook
    webhook_configs: [{ url_env: TEST_HOOK_URL }]
`;

interface Hook {
  id: string;
  status: string;
}

describe('the alert scheduler under faults', () => {
  let db: { sql: Sql; url: string; drop: () => Promise<void> };
  let server: http.Server;
  let base: string;
  let dir: string;
  let switchValue = 0;
  const hooks: Hook[] = [];
  const running: CliProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-scheduler-'));
    await fs.writeFile(path.join(dir, 'rules.yaml'), RULES);
    await fs.writeFile(path.join(dir, 'notifications.yaml'), NOTIFICATIONS);
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (req.url === '/metrics') {
          res.end(`# TYPE test_alert_switch gauge\ntest_alert_switch{lane="a"} ${switchValue}\n`);
          return;
        }
        hooks.push({ id: String(req.headers['webhook-id']), status: JSON.parse(body).status });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => exited(p.child)));
    running.length = 0;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await db.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  function scheduler(name: string): Promise<CliProcess> {
    return startCli(['scheduler'], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: db.url,
      PROMPTSCOPE_DATA_DIR: path.join(dir, name),
      PROMPTSCOPE_ALERT_RULES: path.join(dir, 'rules.yaml'),
      PROMPTSCOPE_ALERT_NOTIFICATIONS: path.join(dir, 'notifications.yaml'),
      PROMPTSCOPE_COLLECTOR_METRICS_URLS: `${base}/metrics`,
      PROMPTSCOPE_SCHEDULER_PORT: '0',
      TEST_HOOK_URL: `${base}/hook`,
      LOG_LEVEL: 'warn',
    }).then((p) => {
      running.push(p);
      return p;
    });
  }

  async function schedulerMetrics(p: CliProcess): Promise<{ leader: number; evaluations: number }> {
    const url = /metrics {8}(\S+)/.exec(p.output())![1]!;
    const text = await (await fetch(url)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);
    return {
      leader: value('promptscope_alert_scheduler_leader'),
      evaluations: value('promptscope_alert_rule_evaluations_total'),
    };
  }

  async function lastSlot(): Promise<number> {
    const [s] = await db.sql<{ at: Date }[]>`select last_evaluated_at as at from alert_rule_status
      where rule = 'fault/SwitchOn'`;
    return s?.at.getTime() ?? 0;
  }

  const distinct = (status: string) => new Set(hooks.filter((h) => h.status === status).map((h) => h.id));

  it('killed while an alert fires and restarted: no second firing notification, and the resolution is still sent', async () => {
    hooks.length = 0;
    switchValue = 1;
    const first = await scheduler('a');
    await eventually(async () => distinct('firing').size === 1, 'the firing notification', 30_000);
    const hung = await eventually(
      async () => (await db.sql`select health, error from alert_rule_status where rule = 'fault/Hung'`)[0],
      'the hung rule evaluated',
      30_000,
    );
    expect(hung).toEqual({ health: 'error', error: 'the query did not finish within 1s' });
    first.child.kill('SIGKILL');
    await exited(first.child);
    const killedAt = Date.now();

    const second = await scheduler('a');
    // The restarted evaluator has evaluated (the alert is still true) a few times.
    await eventually(
      async () => (await lastSlot()) > killedAt + 2 * INTERVAL_MS,
      'evaluations by the restarted scheduler',
      30_000,
    );
    expect(distinct('firing').size).toBe(1);

    switchValue = 0;
    await eventually(async () => distinct('resolved').size === 1, 'the resolved notification', 30_000);
    const [state] = await db.sql`select state from alert_instances`;
    expect(state).toMatchObject({ state: 'resolved' });
    expect(distinct('firing').size).toBe(1);
    second.child.kill('SIGTERM');
    const code = await exited(second.child);
    if (code !== 0) console.log('EXIT', code, second.child.signalCode, second.output().slice(-3000));
    expect(code).toBe(0);
  }, 120_000);

  it('two schedulers: exactly one evaluates; the other takes over within an interval when the first is killed', async () => {
    switchValue = 0;
    for (const p of running.splice(0)) p.child.kill('SIGKILL');
    const [a, b] = await Promise.all([scheduler('b1'), scheduler('b2')]);
    await eventually(
      async () => {
        const states = await Promise.all([schedulerMetrics(a), schedulerMetrics(b)]);
        return states.some((s) => s.leader === 1 && s.evaluations > 2);
      },
      'one scheduler evaluating',
      30_000,
    );
    const [ma, mb] = await Promise.all([schedulerMetrics(a), schedulerMetrics(b)]);
    expect([ma.leader, mb.leader].sort()).toEqual([0, 1]);
    const [active, standby] = ma.leader === 1 ? [a, b] : [b, a];
    expect((ma.leader === 1 ? mb : ma).evaluations).toBe(0);

    active.child.kill('SIGKILL');
    await exited(active.child);
    const killedAt = Date.now();
    // Watch the evaluation slots: the first one after the kill is at most one interval (plus the standby's
    // one-second look for the lock) after it.
    const firstSlotAfterKill = await eventually(
      async () => {
        const slot = await lastSlot();
        return slot > killedAt && slot;
      },
      'an evaluation by the standby',
      30_000,
    );
    expect(firstSlotAfterKill - killedAt).toBeLessThanOrEqual(INTERVAL_MS + 1000);
    expect(await schedulerMetrics(standby)).toMatchObject({ leader: 1 });
    standby.child.kill('SIGTERM');
    await exited(standby.child);
  }, 120_000);
});
