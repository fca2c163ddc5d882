import { describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';

/** The shared engine session (embedded) or a server (CLICKHOUSE_URL): a call's settings are its own either way. */
describe("a call's ClickHouse settings stay with that call", () => {
  it('a query with max_execution_time leaves the next query at the default', async () => {
    const { client } = await testClickHouse();
    const read = async (settings?: Record<string, number>) =>
      (
        await (
          await client.query({
            query: "SELECT toString(getSetting('max_execution_time')) AS v",
            format: 'JSONEachRow',
            ...(settings ? { clickhouse_settings: settings } : {}),
          })
        ).json<{ v: string }>()
      )[0]!.v;
    expect(await read({ max_execution_time: 7 })).toBe('7');
    expect(await read()).toBe('0');
  });

  it('an insert with a deduplication token does not make the next inserts duplicates of it', async () => {
    const { client } = await testClickHouse();
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS settings_scope (n UInt32) ENGINE = MergeTree ORDER BY n
        SETTINGS non_replicated_deduplication_window = 100`,
    });
    await client.command({ query: 'TRUNCATE TABLE settings_scope' });
    await client.insert({
      table: 'settings_scope',
      values: [{ n: 1 }],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: 'batch-1' },
    });
    // Concurrent plain inserts around it, and after it: every one lands.
    await Promise.all(
      [2, 3, 4].map((n) =>
        client.insert({ table: 'settings_scope', values: [{ n }], format: 'JSONEachRow' }),
      ),
    );
    const rows = await (
      await client.query({ query: 'SELECT n FROM settings_scope ORDER BY n', format: 'JSONEachRow' })
    ).json<{ n: number }>();
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3, 4]);
  });
});
