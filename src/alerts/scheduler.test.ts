import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { eventually, migrateClickHouse } from '../../test/support/collector.ts';
import { createMigratedTestDatabase } from '../../test/support/databases.ts';
import { grafanaBudgetsSql } from '../analytics/grafana.ts';
import { freePort } from '../platform/listen.ts';
import { silentLogger } from '../platform/log.ts';
import type { Sql } from '../store/postgres.ts';
import { PostgresMetricHistory } from './metric-history.ts';
import { parseNotificationConfig } from './notifications/config.ts';
import { callRows } from './rule-tests.ts';
import { parseRuleFile } from './rules.ts';
import { type SchedulerOptions, startScheduler } from './scheduler.ts';

describe('the scheduler in process', () => {
  let db: { sql: Sql; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
  });
  afterAll(async () => db.drop());
  /** A scheduler with no receivers, on this file's databases. */
  const start = async (
    o: Pick<SchedulerOptions, 'groups'> & Partial<Pick<SchedulerOptions, 'metricsTargets'>>,
  ) =>
    startScheduler({
      sql: db.sql,
      clickhouse: (await testClickHouse()).client,
      notifications: parseNotificationConfig(
        'n.yaml',
        'route: { receiver: none }\nreceivers: [{ name: none }]\n',
        {},
      ),
      log: silentLogger,
      metricsTargets: [],
      externalUrl: undefined,
      ...o,
    });

  it('skips and counts a run that is due while the previous one is still going', async () => {
    // Every second, a query that takes about 2.5 s: every other run finds the previous one still going.
    const parsed = parseRuleFile(
      'slow.yaml',
      `groups:
  - name: slow
    interval: 1s
    query_offset: 0s
    query_timeout: 10s
    rules:
      - alert: Slow
        sql: SELECT max(sleepEachRow(0.5)) + 1 AS value FROM numbers(5) SETTINGS max_block_size = 1
        condition: '> 0'
`,
    );
    if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
    const scheduler = await start({ groups: parsed.groups });
    try {
      await eventually(
        async () => scheduler.metrics.groupRunsSkipped >= 2 && scheduler.metrics.evaluations >= 1,
        'skipped runs',
        20_000,
      );
      expect(await scheduler.metrics.registry.metrics()).toMatch(
        /^promptscope_alert_group_runs_skipped_total [1-9]\d*$/m,
      );
      const [status] = await db.sql`select health, error from alert_rule_status where rule = 'slow/Slow'`;
      expect(status).toEqual({ health: 'ok', error: null });
    } finally {
      await scheduler.stop();
    }
  }, 30_000);

  it('CollectorDown fires for a collector that cannot be scraped, while its other metric rules only go to error; the scrape history is in Postgres for the next scheduler', async () => {
    const collector = http.createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('promptscope_collector_insert_failures_permanent_total 3\n');
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const alive = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/metrics`;
    const dead = `http://127.0.0.1:${await freePort()}/metrics`;
    const parsed = parseRuleFile(
      'collector.yaml',
      `groups:
  - name: collector
    interval: 1s
    query_offset: 0s
    rules:
      - alert: CollectorDown
        metric: up
        condition: '== 0'
        for: 2s
      - alert: SpansDeadLettered
        metric: { name: promptscope_collector_insert_failures_permanent_total, increase: 15m }
        condition: '> 0'
`,
    );
    if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
    const first = await start({ groups: parsed.groups, metricsTargets: [alive, dead] });
    try {
      await eventually(
        async () => {
          const firing = await db.sql<{ labels: Record<string, string> }[]>`
            select labels from alert_instances where rule = 'collector/CollectorDown' and state = 'firing'`;
          return firing.length === 1 && firing[0]!.labels.instance === new URL(dead).host;
        },
        'CollectorDown firing for the dead collector only',
        20_000,
      );
      const [status] =
        await db.sql`select health, error from alert_rule_status where rule = 'collector/SpansDeadLettered'`;
      expect(status!.health).toBe('error');
      expect(String(status!.error)).toContain(`cannot scrape ${new URL(dead).host}`);
    } finally {
      await first.stop();
      collector.close();
    }
    // What the first scheduler scraped is in Postgres: a scheduler that takes over reads the same history.
    const samples = await db.sql<{ name: string; n: number }[]>`
      select name, count(*)::int as n from alert_metric_samples group by name order by name`;
    expect(samples.map((s) => s.name)).toEqual([
      'promptscope_collector_insert_failures_permanent_total',
      'up',
    ]);
    const history = new PostgresMetricHistory(db.sql, ['up']);
    const up = await history.read('up', Date.now(), undefined);
    expect(up.map((u) => [u.labels.instance, u.value]).sort()).toEqual(
      [
        [new URL(alive).host, 1],
        [new URL(dead).host, 0],
      ].sort(),
    );
  }, 30_000);

  it('records each budget group’s state for Grafana after evaluating it', async () => {
    const { client } = await testClickHouse();
    await migrateClickHouse(client);
    const now = Date.now();
    await client.insert({
      table: 'llm_calls',
      format: 'JSONEachRow',
      values: callRows(
        { service: 'budget-sched', tenant: 'acme', from: '0m', to: '2m', per_minute: 5, cost_usd: '0.25' },
        now - 3 * 60_000,
        0,
      ),
    });
    const parsed = parseRuleFile(
      'b.yaml',
      'budgets:\n  - { name: sched, amount: 100, period: month, by: [tenant], where: { service: budget-sched } }\n',
    );
    if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
    // Evaluated every second here (a budget's shortest interval in a file is 30 s).
    const groups = parsed.groups.map((g) => ({ ...g, intervalMs: 1000, queryOffsetMs: 0 }));
    const scheduler = await start({ groups });
    try {
      const rows = await eventually(async () => {
        const rs = await client.query({ query: grafanaBudgetsSql(), format: 'JSONEachRow' });
        const found = (await rs.json<Record<string, unknown>>()).filter((r) => r.budget === 'sched');
        return found.length ? found : undefined;
      }, 'the budget in budget_status');
      // 10 calls at $0.25: $2.50 of $100 for acme, this month (UTC)
      expect(rows).toEqual([
        {
          budget: 'sched',
          group: 'tenant=acme',
          amount: 100,
          spent: 2.5,
          projected: expect.any(Number),
          remaining: 97.5,
          spent_share: 0.025,
          period: 'month (UTC)',
        },
      ]);
    } finally {
      await scheduler.stop();
    }
  }, 30_000);
});
