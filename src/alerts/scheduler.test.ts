import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { eventually } from '../../test/support/collector.ts';
import { createMigratedTestDatabase } from '../../test/support/databases.ts';
import { silentLogger } from '../log.ts';
import type { Sql } from '../store/postgres.ts';
import { parseNotificationConfig } from './notifications/config.ts';
import { parseRuleFile } from './rules.ts';
import { startScheduler } from './scheduler.ts';

describe('the scheduler in process', () => {
  let db: { sql: Sql; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
  });
  afterAll(async () => db.drop());

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
    const scheduler = await startScheduler({
      sql: db.sql,
      clickhouse: (await testClickHouse()).client,
      groups: parsed.groups,
      notifications: parseNotificationConfig(
        'n.yaml',
        'route: { receiver: none }\nreceivers: [{ name: none }]\n',
        {},
      ),
      log: silentLogger,
      metricsTargets: [],
      externalUrl: undefined,
    });
    try {
      await eventually(
        async () => scheduler.metrics.groupRunsSkipped >= 2 && scheduler.metrics.evaluations >= 1,
        'skipped runs',
        20_000,
      );
      expect(scheduler.metrics.render()).toMatch(/^promptscope_alert_group_runs_skipped_total [1-9]\d*$/m);
      const [status] = await db.sql`select health, error from alert_rule_status where rule = 'slow/Slow'`;
      expect(status).toEqual({ health: 'ok', error: null });
    } finally {
      await scheduler.stop();
    }
  }, 30_000);
});
