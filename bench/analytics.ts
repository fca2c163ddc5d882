/**
 * Benchmark: the analytics figures over a month of calls. Loads synthetic calls (50 templates × 3 versions, 5 models,
 * 5% errors, spread over 30 days) into the embedded ClickHouse — as spans into otel_traces, so llm_calls is filled by
 * its materialized view as in production — builds the hourly rollup of the closed hours (the scheduler's job), then
 * times every dashboard query and analytics endpoint's SQL, the current hour read from llm_calls as in production.
 *
 *   npm run bench -- analytics        (BENCH_CALLS=10000000 BENCH_RUNS=20 by default)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { overviewDashboard, templateDashboard } from '../dashboards/build.ts';
import { abQuery } from '../src/analytics/ab.ts';
import { errorsQuery, type Query, runQuery, topCallsQuery, usageQuery } from '../src/analytics/figures.ts';
import { buildRollup } from '../src/analytics/hourly-rollup.ts';
import { summaryQuery } from '../src/analytics/llm-calls.ts';
import { REPORT_NAMES, reportQuery } from '../src/analytics/reports.ts';
import { versionStatsQuery } from '../src/analytics/version-stats.ts';
import { openClickHouse } from '../src/store/clickhouse.ts';
import { loadSyntheticCalls } from '../src/testing/synthetic-calls.ts';
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
    await loadSyntheticCalls(ch.client, from, CALLS);
    await ch.client.command({ query: 'OPTIMIZE TABLE llm_calls FINAL' });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    figures['calls loaded'] = CALLS;
    figures['load rate, calls/s (spans → llm_calls, incl. merge)'] = Math.round(CALLS / loadSeconds);
    // The scheduler builds closed hours as they close; here the whole month is built at once, as after an upgrade.
    const rollupStarted = performance.now();
    let hours = 0;
    for (;;) {
      const round = await buildRollup(ch.client, { closeAfterMs: 0, quietMs: 0, maxHoursPerRound: 1000 });
      hours += round.built;
      if (!round.built) break;
    }
    const rollupSeconds = (performance.now() - rollupStarted) / 1000;
    // As llm_calls above: timed once background merges have caught up (a month of hourly builds, merged).
    await ch.client.command({ query: 'OPTIMIZE TABLE llm_calls_hourly FINAL' });
    figures['hourly rollup: hours built'] = hours;
    figures['hourly rollup: build time per hour, ms'] = Math.round(
      (rollupSeconds * 1000) / Math.max(hours, 1),
    );
    // What a call costs on disk (the sizing guide's figures): every active part, compressed and not.
    const storage = await (
      await ch.client.query({
        query: `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS compressed,
                  sum(data_uncompressed_bytes) AS uncompressed
                FROM system.parts WHERE database = currentDatabase() AND active
                  AND table IN ('otel_traces', 'llm_calls', 'llm_calls_hourly', 'otel_traces_trace_id_ts')
                GROUP BY table ORDER BY table`,
        format: 'JSONEachRow',
      })
    ).json<{ table: string; rows: string; compressed: string; uncompressed: string }>();
    for (const t of storage) {
      const per = (bytes: string) => (Number(bytes) / CALLS).toFixed(1);
      figures[`disk per call, ${t.table}: bytes compressed (uncompressed)`] =
        `${per(t.compressed)} (${per(t.uncompressed)}); ${Number(t.rows).toLocaleString('en-US')} rows`;
    }

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
      ['API summary, window 30d', summaryQuery(30 * 86_400, now)],
      ...REPORT_NAMES.map((name): [string, Query] => [`API report ${name}`, reportQuery(name, { to: now })]),
      ['drill-down: usage by version per hour', usageQuery({ ...drill, step: 'hour', groupBy: ['version'] })],
      ['drill-down: A/B', abQuery({ ...drill, filters: { template: 'template-7', label: 'production' } })],
      ['drill-down: version stats', versionStatsQuery('template-7', now)],
      // Who spent it: read from llm_calls (100,000 users, 200 tenants), never the rollup.
      [
        'who: top 20 users by cost, 30 d',
        usageQuery({ ...slice, groupBy: ['user'] }, ['calls', 'cost'], { orderBy: 'cost', limit: 20 }),
      ],
      [
        'who: cost by tenant, 30 d',
        usageQuery({ ...slice, groupBy: ['tenant'] }, ['calls', 'cost'], { orderBy: 'cost' }),
      ],
      [
        'who: one user, cost per day',
        usageQuery({ ...slice, step: 'day', filters: { user: 'user-4242' } }, ['calls', 'cost']),
      ],
    ];
    const context = (template?: string) => ({
      fromMs: from,
      toMs: now,
      // What Grafana passes for 30 days in a panel ~1,000 pixels wide (30 minutes), for panels without maxDataPoints.
      intervalSeconds: 1800,
      variables: {
        template: template ? [template] : ('all' as const),
        version: 'all' as const,
        model: 'all' as const,
        service: 'all' as const,
        label: 'all' as const,
        variant: 'all' as const,
        tenant: 'all' as const,
        property: ['feature'],
      },
    });
    const expanded = (rawSql: string, template?: string, maxDataPoints?: number): Query => ({
      sql: expandGrafanaSql(rawSql, {
        ...context(template),
        ...(maxDataPoints ? { intervalSeconds: grafanaInterval((now - from) / maxDataPoints) / 1000 } : {}),
      }),
      params: {},
    });
    const panelsOf = (d: ReturnType<typeof overviewDashboard>, name: string, template?: string) => [
      ...(d.templating?.list ?? [])
        .filter((v) => v.type === 'query')
        .map((v): [string, Query] => [
          `${name} variable: ${v.name}`,
          expanded((v.query as { rawSql: string }).rawSql, template),
        ]),
      ...(d.panels ?? []).map((p): [string, Query] => [
        `${name} panel: ${p.title}`,
        expanded(
          (p as unknown as { targets: { rawSql: string }[] }).targets[0]!.rawSql,
          template,
          (p as { maxDataPoints?: number }).maxDataPoints,
        ),
      ]),
    ];
    const grafana: [string, Query][] = [
      ...panelsOf(overviewDashboard(), 'overview'),
      ...panelsOf(templateDashboard(), 'drill-down', 'template-7'),
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

/** Grafana's interval for a raw one (its `roundInterval`, from 1 minute up), in milliseconds. */
function grafanaInterval(ms: number): number {
  const M = 60_000;
  const H = 60 * M;
  const steps: [number, number][] = [
    [90_000, M],
    [210_000, 2 * M],
    [450_000, 5 * M],
    [750_000, 10 * M],
    [1_050_000, 15 * M],
    [1_500_000, 20 * M],
    [2_700_000, 30 * M],
    [5_400_000, H],
    [9_000_000, 2 * H],
    [16_200_000, 3 * H],
    [32_400_000, 6 * H],
    [86_400_000, 12 * H],
  ];
  return steps.find(([below]) => ms < below)?.[1] ?? 24 * H;
}
