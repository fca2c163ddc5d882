/**
 * Benchmark: the analytics figures over a month of calls. Loads synthetic calls (50 templates × 3 versions, 5 models,
 * 5% errors, spread over 30 days) into the embedded ClickHouse — as spans into otel_traces, so llm_calls is filled by
 * its materialized view as in production — then times every dashboard query and analytics endpoint's SQL.
 *
 *   npm run bench -- analytics        (BENCH_CALLS=10000000 BENCH_RUNS=20 by default)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { overviewDashboard, templateDashboard } from '../dashboards/build.ts';
import {
  abQuery,
  errorsQuery,
  type Query,
  runQuery,
  topCallsQuery,
  usageQuery,
  versionStatsQuery,
} from '../src/analytics/figures.ts';
import { seedQuery } from '../src/analytics/seed-queries.ts';
import { openClickHouse } from '../src/store/clickhouse.ts';
import { migrateClickHouse } from '../test/support/collector.ts';
import { expandGrafanaSql } from '../test/support/grafana-macros.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DAY = 86_400_000;

export async function run(): Promise<Record<string, string | number>> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-analytics-'));
  const ch = await openClickHouse({ clickhouseUrl: undefined, database: 'default', dataDir });
  const figures: Record<string, string | number> = {};
  try {
    await migrateClickHouse(ch.client);
    const now = Date.now();
    const from = now - 30 * DAY;
    const loadStarted = performance.now();
    // Spans as the sdk writes them, generated inside ClickHouse (the load generator is not what is measured).
    await ch.client.command({
      query: `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes,
          SpanAttributes, Duration, StatusCode)
        SELECT
          fromUnixTimestamp64Milli(toInt64(${from} + intDiv(number * ${30 * DAY}, ${CALLS}))) AS Timestamp,
          lower(hex(cityHash64(number, 't'))) || lower(hex(cityHash64(number, 'u'))) AS TraceId,
          lower(hex(cityHash64(number, 's'))) AS SpanId,
          concat('generate_content ', model) AS SpanName,
          'Client' AS SpanKind,
          concat('service-', toString(number % 7)) AS ServiceName,
          map('service.name', concat('service-', toString(number % 7)), 'deployment.environment.name', 'prod') AS ResourceAttributes,
          map('gen_ai.operation.name', 'generate_content',
              'gen_ai.provider.name', 'gcp.gemini',
              'gen_ai.request.model', model,
              'gen_ai.prompt.name', concat('template-', toString(number % 50)),
              'gen_ai.prompt.version', toString(1 + intDiv(number, 50) % 3),
              'promptscope.prompt.label', 'production',
              'promptscope.prompt.variant', toString(1 + intDiv(number, 50) % 3),
              'gen_ai.usage.input_tokens', toString(200 + number % 1800),
              'gen_ai.usage.cache_read.input_tokens', toString(number % 5 = 0 ? 100 : 0),
              'gen_ai.usage.output_tokens', toString(20 + number % 400),
              'gen_ai.usage.cost.amount', toString(toDecimal64((200 + number % 1800) * 0.0000003 + (20 + number % 400) * 0.0000025, 12)),
              'gen_ai.usage.cost.currency', 'USD') AS SpanAttributes,
          toUInt64(50000000 + (number % 997) * 3000000) AS Duration,
          if(number % 20 = 0, 'Error', 'Ok') AS StatusCode
        FROM (SELECT number, ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-3-pro-preview'][1 + number % 5] AS model
              FROM numbers(${CALLS}))
        SETTINGS max_insert_threads = 2, max_threads = 2`,
    });
    await ch.client.command({ query: 'OPTIMIZE TABLE llm_calls FINAL' });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    figures['calls loaded'] = CALLS;
    figures['load rate, calls/s (spans → llm_calls, incl. merge)'] = Math.round(CALLS / loadSeconds);

    const slice = { from, to: now + 1000 };
    const drill = { ...slice, filters: { template: 'template-7' } };
    const api: [string, Query][] = [
      ['API usage, 30 d total, every figure', usageQuery(slice)],
      [
        'API usage by template per day, every figure',
        usageQuery({ ...slice, step: 'day', groupBy: ['template'] }),
      ],
      // What the built-in overview asks for (figures=…): each query computes only what it shows.
      [
        'page overview: totals',
        usageQuery(slice, ['calls', 'cost', 'success_rate', 'p95_ms', 'unpriced_share', 'cost_per_1k_calls']),
      ],
      [
        'page overview: cost and p95 by template per day',
        usageQuery({ ...slice, step: 'day', groupBy: ['template'] }, ['cost', 'p95_ms']),
      ],
      [
        'page overview: by template',
        usageQuery({ ...slice, groupBy: ['template'] }, ['calls', 'cost', 'p95_ms', 'unpriced_calls']),
      ],
      [
        'page overview: error rate and output tokens per day',
        usageQuery({ ...slice, step: 'day' }, ['error_rate', 'output_tokens']),
      ],
      ['API errors by type', errorsQuery({ ...slice, groupBy: ['template'] })],
      ['API top calls', topCallsQuery(slice, 20)],
      ['API seed daily cost', seedQuery('daily-cost', { to: now })],
      ['drill-down: usage by version per hour', usageQuery({ ...drill, step: 'hour', groupBy: ['version'] })],
      ['drill-down: A/B', abQuery({ ...drill, filters: { template: 'template-7', label: 'production' } })],
      ['drill-down: version stats', versionStatsQuery('template-7', now)],
    ];
    const context = (template?: string) => ({
      fromMs: from,
      toMs: now,
      intervalSeconds: 3600,
      variables: {
        template: template ? [template] : ('all' as const),
        version: 'all' as const,
        model: 'all' as const,
        service: 'all' as const,
        label: 'all' as const,
        variant: 'all' as const,
      },
    });
    const grafana: [string, Query][] = [
      ...(overviewDashboard().panels ?? []).map((p): [string, Query] => [
        `overview panel: ${p.title}`,
        {
          sql: expandGrafanaSql(
            (p as unknown as { targets: { rawSql: string }[] }).targets[0]!.rawSql,
            context(),
          ),
          params: {},
        },
      ]),
      ...(templateDashboard().panels ?? []).map((p): [string, Query] => [
        `drill-down panel: ${p.title}`,
        {
          sql: expandGrafanaSql(
            (p as unknown as { targets: { rawSql: string }[] }).targets[0]!.rawSql,
            context('template-7'),
          ),
          params: {},
        },
      ]),
    ];
    for (const [name, q] of [...api, ...grafana]) {
      await runQuery(ch.client, q); // warm
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        await runQuery(ch.client, q);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const at = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
      figures[`${name} p50/p95 ms`] = `${at(0.5).toFixed(0)} / ${at(0.95).toFixed(0)}`;
    }
  } finally {
    await ch.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  return figures;
}
