import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { eventually, migrateClickHouse, rows } from '../../test/support/collector.ts';
import { createMigratedTestDatabase } from '../../test/support/databases.ts';
import { silentLogger } from '../platform/log.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import type { Sql } from '../store/postgres.ts';
import { startRollupJob } from './rollup-job.ts';

const FAST = { closeAfterMs: 0, quietMs: 0, maxHoursPerRound: 10 };

describe('the hourly rollup job', () => {
  let db: { sql: Sql; drop: () => Promise<void> };
  let clickhouse: ClickHouseClient;
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    clickhouse = (await testClickHouse()).client;
    await migrateClickHouse(clickhouse);
  });
  afterAll(async () => db.drop());

  /** Two calls in a closed hour, straight into otel_traces (llm_calls and the hour's row count follow by view). */
  const callsInHour = async (hoursAgo: number, template: string) => {
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - hoursAgo * 3_600_000;
    await clickhouse.command({
      query: `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, ServiceName, SpanAttributes, Duration)
        SELECT fromUnixTimestamp64Milli(${hour + 600_000}) + number, '${template}' || toString(number), 'bb' || toString(number), 'chat',
          'rollup-svc', map('gen_ai.operation.name', 'chat', 'gen_ai.prompt.name', '${template}'), 1000000
        FROM numbers(2)`,
    });
    return hour;
  };
  const startJob = () =>
    startRollupJob({ sql: db.sql, clickhouse, log: silentLogger, intervalMs: 100, options: FAST });
  const built = async (hour: number, template: string) =>
    (
      await rows<{ fresh: number; calls: string }>(
        clickhouse,
        `SELECT fresh, (SELECT toString(sum(calls)) FROM llm_calls_hourly WHERE prompt_name = '${template}') AS calls
         FROM llm_calls_hour_status WHERE hour = fromUnixTimestamp64Milli(${hour})`,
      )
    )[0];

  it('builds closed hours and says so on its metrics', async () => {
    const hour = await callsInHour(3, 'job');
    const job = await startJob();
    try {
      await eventually(async () => job.metrics.hoursBuilt >= 1, 'the hour to be built', 10_000);
      expect(await built(hour, 'job')).toEqual({ fresh: 1, calls: '2' });
      const text = await job.metrics.registry.metrics();
      expect(text).toMatch(/^promptscope_rollup_hours_built_total [1-9]\d*$/m);
      expect(text).toMatch(/^promptscope_rollup_hours_waiting 0$/m);
      expect(text).toMatch(/^promptscope_rollup_builder_leader 1$/m);
    } finally {
      await job.stop();
    }
  });

  it('one process builds across all that share a Postgres; another takes over when it stops', async () => {
    const first = await startJob();
    const second = await startJob();
    try {
      await eventually(async () => first.isLeader() || second.isLeader(), 'one job to lead', 5_000);
      const [leader, standby] = first.isLeader() ? [first, second] : [second, first];
      expect(standby.isLeader()).toBe(false);
      expect(standby.metrics.leader).toBe(0);
      await leader.stop();
      const hour = await callsInHour(5, 'takeover');
      await eventually(async () => standby.isLeader(), 'the other job to take over', 5_000);
      await eventually(
        async () => (await built(hour, 'takeover'))?.fresh === 1,
        'the new hour to be built',
        10_000,
      );
      expect(standby.metrics.leader).toBe(1);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
