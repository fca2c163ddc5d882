import { beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { type ClickHouseClient, EMBEDDED_MALLOC_CONF } from './clickhouse.ts';
import { applyEmbeddedMergeSettings } from './embedded-merge-settings.ts';

describe('merge settings of the embedded engine', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
  });

  it('makes every merge of the span tables vertical and less eager, and can be applied again on every start', async () => {
    await applyEmbeddedMergeSettings(client);
    await applyEmbeddedMergeSettings(client);
    const rs = await client.query({
      query:
        "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_traces', 'llm_calls') ORDER BY name",
      format: 'JSONEachRow',
    });
    const tables = await rs.json<{ name: string; engine_full: string }>();
    expect(tables.map((t) => t.name)).toEqual(['llm_calls', 'otel_traces']);
    for (const t of tables) {
      expect(t.engine_full).toContain('vertical_merge_algorithm_min_rows_to_activate = 1');
      expect(t.engine_full).toContain('vertical_merge_algorithm_min_columns_to_activate = 1');
      expect(t.engine_full).toContain('merge_selector_base = 10');
      // The exporter's own settings stay as they were.
      if (t.name === 'otel_traces') expect(t.engine_full).toContain('ttl_only_drop_parts = 1');
    }
  });

  it("runs the engine with promptscope's allocator settings (freed buffers of 1 MB and more returned at once)", async () => {
    const rs = await client.query({
      query: 'SELECT stats FROM system.jemalloc_stats',
      format: 'JSONEachRow',
    });
    const stats = (await rs.json<{ stats: string }>())[0]?.stats;
    // What jemalloc read from JE_MALLOC_CONF, and what it runs with.
    expect(stats).toContain(`MALLOC_CONF: "${EMBEDDED_MALLOC_CONF}"`);
    expect(stats).toMatch(/opt\.oversize_threshold: 1048576\n/);
    expect(stats).toMatch(/opt\.dirty_decay_ms: 100 /);
  });
});
