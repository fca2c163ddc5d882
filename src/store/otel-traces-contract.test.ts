import { describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse, sendCalls, spanFactory, testCollector } from '../../test/support/collector.ts';
import { silentLogger } from '../platform/log.ts';
import { createUnlockedClickHouseMigrator } from './migrate.ts';

/**
 * otel_traces is a contract with the OpenTelemetry Collector's clickhouseexporter: the official collector can write
 * into our table (create_schema: false) and tools built for its tables (Grafana's OTel mode, the trace-id lookup)
 * read ours. The expected shape below is the exporter's current templates (bloom-filter branch), as facts.
 */
const COLUMNS: [name: string, type: string, codec: string, alias?: string][] = [
  ['Timestamp', 'DateTime64(9)', 'CODEC(Delta(8), ZSTD(1))'],
  ['TraceId', 'String', 'CODEC(ZSTD(1))'],
  ['SpanId', 'String', 'CODEC(ZSTD(1))'],
  ['ParentSpanId', 'String', 'CODEC(ZSTD(1))'],
  ['TraceState', 'String', 'CODEC(ZSTD(1))'],
  ['SpanName', 'LowCardinality(String)', 'CODEC(ZSTD(1))'],
  ['SpanKind', 'LowCardinality(String)', 'CODEC(ZSTD(1))'],
  ['ServiceName', 'LowCardinality(String)', 'CODEC(ZSTD(1))'],
  ['ResourceAttributes', 'Map(LowCardinality(String), String)', 'CODEC(ZSTD(1))'],
  ['ScopeName', 'String', 'CODEC(ZSTD(1))'],
  ['ScopeVersion', 'String', 'CODEC(ZSTD(1))'],
  ['SpanAttributes', 'Map(LowCardinality(String), String)', 'CODEC(ZSTD(1))'],
  ['Duration', 'UInt64', 'CODEC(T64, ZSTD(1))'],
  ['StatusCode', 'LowCardinality(String)', 'CODEC(ZSTD(1))'],
  ['StatusMessage', 'String', 'CODEC(ZSTD(1))'],
  ['Events.Timestamp', 'Array(DateTime64(9))', 'CODEC(ZSTD(1))'],
  ['Events.Name', 'Array(LowCardinality(String))', 'CODEC(ZSTD(1))'],
  ['Events.Attributes', 'Array(Map(LowCardinality(String), String))', 'CODEC(ZSTD(1))'],
  ['Links.TraceId', 'Array(String)', 'CODEC(ZSTD(1))'],
  ['Links.SpanId', 'Array(String)', 'CODEC(ZSTD(1))'],
  ['Links.TraceState', 'Array(String)', 'CODEC(ZSTD(1))'],
  ['Links.Attributes', 'Array(Map(LowCardinality(String), String))', 'CODEC(ZSTD(1))'],
  ['ResourceAttributeItems', 'Array(String)', '', 'ResourceAttributes'],
  ['SpanAttributeItems', 'Array(String)', '', 'SpanAttributes'],
];

const INDEXES: [name: string, expr: string, type: string, granularity: number][] = [
  ['idx_trace_id', 'TraceId', 'bloom_filter', 1],
  ['idx_res_attr_key', 'mapKeys(ResourceAttributes)', 'bloom_filter', 1],
  ['idx_res_attr_value', 'mapValues(ResourceAttributes)', 'bloom_filter', 1],
  ['idx_span_attr_key', 'mapKeys(SpanAttributes)', 'bloom_filter', 1],
  ['idx_span_attr_value', 'mapValues(SpanAttributes)', 'bloom_filter', 1],
  ['idx_duration', 'Duration', 'minmax', 1],
  ['idx_lower_span_name', 'lower(SpanName)', 'tokenbf_v1', 8],
];

async function q<T>(sql: string): Promise<T[]> {
  const client = (await testClickHouse()).client;
  const rs = await client.query({ query: sql, format: 'JSONEachRow' });
  return rs.json<T>();
}

describe('the otel_traces contract with the clickhouseexporter', () => {
  it('an existing data folder is migrated to the current shape, keeping its spans, and keeps working', async () => {
    const client = (await testClickHouse()).client;
    // A data folder from before: every migration up to 0006.
    await (await createUnlockedClickHouseMigrator(client, silentLogger, 6)).up();
    const before = await testCollector(client);
    const factory = spanFactory('contract-svc');
    const llm = (i: number) =>
      factory.span({
        name: 'generate_content gemini-2.5-flash',
        startMs: Date.now() - 60_000 + i,
        durationMs: 120,
        attributes: {
          'gen_ai.operation.name': 'generate_content',
          'gen_ai.request.model': 'gemini-2.5-flash',
          'gen_ai.prompt.name': 'contract',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.usage.output_tokens': 5,
        },
      });
    await sendCalls(before.url, client, [await llm(0), await llm(1)], "prompt_name = 'contract'", 2);
    await before.stop();

    const migrator = await createUnlockedClickHouseMigrator(client, silentLogger);
    const result = await migrator.up();
    expect(result.applied).toContain('0007_otel_traces_current_exporter');
    const [kept] = await q<{ spans: string; lookups: string }>(
      `SELECT (SELECT toString(count()) FROM otel_traces WHERE ServiceName = 'contract-svc') AS spans,
              (SELECT toString(count()) FROM otel_traces_trace_id_ts FINAL) AS lookups`,
    );
    // Two spans of two traces (the span factory gives each span its own trace id): two lookups.
    expect(kept).toEqual({ spans: '2', lookups: '2' });

    // After the migration the views are back: new spans reach llm_calls and the lookup.
    const after = await testCollector(client);
    await sendCalls(after.url, client, [await llm(2)], "prompt_name = 'contract'", 3);
    await after.stop();
    const [lookup] = await q<{ start: string; end: string }>(
      `SELECT toString(min(Start)) AS start, toString(max(End)) AS end FROM otel_traces_trace_id_ts FINAL`,
    );
    expect(lookup!.start <= lookup!.end).toBe(true);
    // And back, and forward again (`promptscope migrate down`), with the spans kept each way.
    expect((await migrator.down(7)).applied).toEqual([
      '0013_budget_status',
      '0012_llm_calls_every_provider',
      '0011_llm_calls_attribution',
      '0010_prompt_executions_test_run',
      '0009_llm_calls_any_instrumentation',
      '0008_llm_calls_hourly',
      '0007_otel_traces_current_exporter',
    ]);
    expect((await q<{ n: string }>(`SELECT toString(count()) AS n FROM otel_traces`))[0]!.n).toBe('3');
    await migrator.up();
    expect((await q<{ n: string }>(`SELECT toString(count()) AS n FROM otel_traces`))[0]!.n).toBe('3');
    // Migrating again is a no-op; the helper the other tests use agrees.
    await migrateClickHouse(client);
  }, 60_000);

  it('otel_traces has the exporter’s columns, codecs, alias columns, indexes and keys', async () => {
    const columns = await q<{
      name: string;
      type: string;
      compression_codec: string;
      default_kind: string;
      default_expression: string;
    }>(
      `SELECT name, type, compression_codec, default_kind, default_expression FROM system.columns
       WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position`,
    );
    expect(columns.map((c) => [c.name, c.type, c.compression_codec])).toEqual(
      COLUMNS.map(([n, t, c]) => [n, t, c]),
    );
    for (const [name, , , source] of COLUMNS.filter((c) => c[3])) {
      const column = columns.find((c) => c.name === name)!;
      expect(column.default_kind).toBe('ALIAS');
      expect(column.default_expression).toContain(`CAST(${source}, 'Array(Tuple(String, String))')`);
    }
    const indexes = await q<{ name: string; expr: string; type: string; granularity: number }>(
      `SELECT name, expr, type, granularity FROM system.data_skipping_indices
       WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY name`,
    );
    expect(indexes.map((i) => [i.name, i.expr, i.type, Number(i.granularity)])).toEqual(
      [...INDEXES].sort((a, b) => a[0].localeCompare(b[0])),
    );
    const [table] = await q<{
      engine: string;
      partition_key: string;
      primary_key: string;
      sorting_key: string;
    }>(
      `SELECT engine, partition_key, primary_key, sorting_key FROM system.tables
       WHERE database = currentDatabase() AND name = 'otel_traces'`,
    );
    expect(table).toEqual({
      engine: 'MergeTree',
      partition_key: 'toDate(Timestamp)',
      primary_key: 'ServiceName, SpanName, toDateTime(Timestamp)',
      sorting_key: 'ServiceName, SpanName, toDateTime(Timestamp), Timestamp',
    });
    const [lookup] = await q<{ engine: string; partition_key: string; sorting_key: string }>(
      `SELECT engine, partition_key, sorting_key FROM system.tables
       WHERE database = currentDatabase() AND name = 'otel_traces_trace_id_ts'`,
    );
    expect(lookup).toEqual({
      engine: 'AggregatingMergeTree',
      partition_key: 'toStartOfWeek(Start)',
      sorting_key: '(TraceId)',
    });
    const lookupColumns = await q<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces_trace_id_ts' ORDER BY position`,
    );
    expect(lookupColumns).toEqual([
      { name: 'TraceId', type: 'String' },
      { name: 'Start', type: 'SimpleAggregateFunction(min, DateTime)' },
      { name: 'End', type: 'SimpleAggregateFunction(max, DateTime)' },
    ]);
  });
});
