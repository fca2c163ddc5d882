import { beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse, rows } from '../../test/support/collector.ts';
import type { ClickHouseClient } from './clickhouse.ts';
import { applyRetention, rollupBuildWindowHours } from './retention.ts';

describe('retention of the telemetry tables', () => {
  let client: ClickHouseClient;
  const ttls = async () =>
    Object.fromEntries(
      (
        await rows<{ name: string; ttl: string }>(
          client,
          `SELECT name, extract(engine_full, 'TTL (.+?) SETTINGS') AS ttl FROM system.tables
           WHERE database = currentDatabase()
             AND name IN ('otel_traces', 'llm_calls', 'llm_calls_hourly', 'llm_calls_hourly_builds', 'llm_calls_hour_rows')`,
        )
      ).map((r) => [r.name, r.ttl]),
    );

  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
  });

  it('sets each table its own TTL in days (the rollup may outlive the calls), and removes them again with 0 (forever)', async () => {
    await applyRetention(client, { traces: 7, calls: 30, rollup: 400 });
    expect(await ttls()).toEqual({
      otel_traces: 'toDateTime(Timestamp) + toIntervalDay(7)',
      llm_calls: 'toDateTime(timestamp) + toIntervalDay(30)',
      llm_calls_hourly: 'hour + toIntervalDay(400)',
      llm_calls_hourly_builds: 'hour + toIntervalDay(400)',
      llm_calls_hour_rows: 'hour + toIntervalDay(30)',
    });
    await applyRetention(client, { traces: 0, calls: 0, rollup: 0 });
    expect(await ttls()).toEqual({
      otel_traces: '',
      llm_calls: '',
      llm_calls_hourly: '',
      llm_calls_hourly_builds: '',
      llm_calls_hour_rows: '',
    });
  });
});

describe('how far back the rollup builder may build', () => {
  it.each([
    [{ traces: 0, calls: 0, rollup: 0 }, 0],
    [{ traces: 7, calls: 30, rollup: 30 }, 30 * 24 - 1],
    [{ traces: 7, calls: 30, rollup: 400 }, 30 * 24 - 1],
    [{ traces: 7, calls: 0, rollup: 90 }, 90 * 24 - 1],
    [{ traces: 7, calls: 1, rollup: 0 }, 23],
  ])('%o → %i hours (0: no limit)', (retention, hours) => {
    expect(rollupBuildWindowHours(retention)).toBe(hours);
  });
});
