import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../../collector/index.ts';
import { overviewDashboard } from '../../dashboards/build.ts';
import { testClickHouse } from '../../test/support/api.ts';
import {
  migrateClickHouse,
  rows,
  sendCalls,
  spanFactory,
  storeAgainFromAnotherCollector,
  testCollector,
} from '../../test/support/collector.ts';
import { expandGrafanaSql } from '../../test/support/grafana-macros.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import {
  type Dimension,
  runQuery,
  type Slice,
  STEPS,
  USAGE_FIGURE_NAMES,
  type UsageFigure,
  usageQuery,
} from './figures.ts';
import { buildRollup } from './hourly-rollup.ts';

const HOUR = 3_600_000;
const NOW = Date.now();
/** Calls over the last 50 hours, the current one included. */
const START = Math.floor(NOW / HOUR) * HOUR - 49 * HOUR;
const CALLS = 150;
const BUILD_NOW = { closeAfterMs: 0, quietMs: 0, maxHoursPerRound: 1000 };

/** Deterministic, varied calls: templates, versions, variants, models, errors, unpriced and not-billed calls, streams. */
function call(i: number) {
  const r = (salt: number) => Math.abs(Math.sin(i * 12.9898 + salt * 78.233) * 43758.5453) % 1;
  const error = r(1) < 0.15;
  const priced = r(2) < 0.8;
  return {
    startMs: START + Math.floor(r(3) * (NOW - START - 60_000)),
    durationMs: 20 + Math.floor(r(4) * 5000),
    error,
    attributes: {
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': r(5) < 0.5 ? 'gemini-2.5-flash' : 'gemini-2.5-pro',
      'gen_ai.prompt.name': `roll-${'abc'[i % 3]}`,
      'gen_ai.prompt.version': String(1 + (i % 2)),
      'promptscope.prompt.label': 'production',
      'promptscope.prompt.variant': r(6) < 0.5 ? 'a' : 'b',
      'gen_ai.usage.input_tokens': 100 + Math.floor(r(7) * 900),
      'gen_ai.usage.cache_read.input_tokens': Math.floor(r(8) * 50),
      'gen_ai.usage.output_tokens': 10 + Math.floor(r(9) * 300),
      ...(r(10) < 0.3 ? { 'gen_ai.response.time_to_first_chunk': Number((r(11) * 2).toFixed(4)) } : {}),
      ...(error
        ? { 'error.type': r(12) < 0.5 ? '429' : 'timeout', 'promptscope.cost.status': 'not_billed' }
        : priced
          ? {
              'gen_ai.usage.cost.amount': (r(13) / 100).toFixed(9),
              'gen_ai.usage.cost.currency': 'USD',
            }
          : {}),
      ...(i === 7 ? { 'promptscope.test_run': true } : {}),
    },
  };
}

describe('the hourly rollup (llm_calls_hourly) behind the usage figures', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  const factory = spanFactory('rollup-svc');
  const figures = async (slice: Slice, names?: UsageFigure[], rollup = true) =>
    runQuery<Record<string, unknown>>(client, usageQuery(slice, names, { rollup }));
  const status = async () =>
    rows<{ hour: string; fresh: number }>(
      client,
      'SELECT toString(hour) AS hour, fresh FROM llm_calls_hour_status ORDER BY hour',
    );
  const whole = { from: START, to: NOW + 60_000 };

  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    collector = await testCollector(client);
    const spans = [];
    for (let i = 0; i < CALLS; i++) {
      const c = call(i);
      spans.push(
        await factory.span({
          name: 'generate_content',
          startMs: c.startMs,
          durationMs: c.durationMs,
          error: c.error ? 'boom' : undefined,
          attributes: c.attributes,
        }),
      );
    }
    await sendCalls(collector.url, client, spans, "prompt_name LIKE 'roll-%'", CALLS);
  });
  afterAll(async () => collector.stop());

  it('builds each closed hour once it is quiet, never the current one', async () => {
    const waitingForQuiet = await buildRollup(client, { ...BUILD_NOW, quietMs: 3_600_000 });
    expect(waitingForQuiet.built).toBe(0);
    expect(waitingForQuiet.waiting).toBeGreaterThan(0);

    // Within the retention window only (here the last day): older hours wait.
    const recent = await buildRollup(client, { ...BUILD_NOW, buildWithinHours: 24 });
    const dayAgo = new Date(NOW - 24 * HOUR).toISOString().slice(0, 19).replace('T', ' ');
    const inLastDay = (await status()).filter((h) => h.hour >= dayAgo && h.fresh);
    expect(recent.built).toBe(inLastDay.length);
    expect(recent.waiting).toBe(0);

    const round = await buildRollup(client, BUILD_NOW);
    const hours = await status();
    // The hour the builds ran in (the suite may have crossed an hour since NOW was taken: that hour is closed now).
    const current = new Date(Math.floor(Date.now() / HOUR) * HOUR)
      .toISOString()
      .slice(0, 19)
      .replace('T', ' ');
    expect(recent.built + round.built).toBe(hours.filter((h) => h.hour !== current).length);
    expect(hours.filter((h) => !h.fresh).map((h) => h.hour)).toEqual(
      hours.some((h) => h.hour === current) ? [current] : [],
    );
    expect(await buildRollup(client, BUILD_NOW)).toEqual({ built: 0, waiting: 0 });
  });

  it('gives the figures llm_calls alone gives, for any range, step, grouping, filter and figures', async () => {
    const dims: Dimension[] = ['template', 'version', 'variant', 'model'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: START - HOUR, max: NOW + HOUR }),
        fc.integer({ min: 1, max: 52 * HOUR }),
        fc.constantFrom(undefined, ...STEPS),
        fc.subarray(dims, { maxLength: 2 }),
        fc.subarray(USAGE_FIGURE_NAMES, { minLength: 1 }),
        fc.constantFrom<Slice['testRuns']>('exclude', 'include', 'only'),
        fc.constantFrom<Slice['filters']>(
          undefined,
          { template: 'roll-a' },
          { model: 'gemini-2.5-pro', variant: 'b' },
          { version: '2', label: 'production' },
          { template: 'no-such-template' },
        ),
        async (from, length, step, groupBy, names, testRuns, filters) => {
          const slice: Slice = { from, to: from + length, step, groupBy, testRuns, filters };
          expect(await figures(slice, names)).toEqual(await figures(slice, names, false));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads a late call from llm_calls until its hour is built again, then from the rollup', async () => {
    const before = await figures(whole, undefined);
    const late = await factory.span({
      name: 'generate_content',
      startMs: START + 5 * HOUR + 1234,
      durationMs: 4321,
      attributes: {
        ...call(1).attributes,
        'gen_ai.prompt.name': 'roll-a',
        'gen_ai.usage.cost.amount': '0.5',
      },
    });
    await sendCalls(collector.url, client, [late], "prompt_name LIKE 'roll-%'", CALLS + 1);
    const hour = new Date(START + 5 * HOUR).toISOString().slice(0, 19).replace('T', ' ');
    expect((await status()).find((h) => h.hour === hour)?.fresh).toBe(0);

    const after = await figures(whole, undefined);
    expect(after[0]!.calls).toBe((before[0]!.calls as number) + 1);
    expect(after).toEqual(await figures(whole, undefined, false));

    expect((await buildRollup(client, BUILD_NOW)).built).toBe(1);
    expect((await status()).find((h) => h.hour === hour)?.fresh).toBe(1);
    expect(await figures(whole, undefined)).toEqual(after);
  });

  it('counts a call stored twice once, before and after its hour is rebuilt, even when the copy differs outside the key', async () => {
    // The copy comes from another collector (another insert token) whose resource lacks deployment.environment.name:
    // llm_calls keeps one row for the span, so the hour's rebuild has a different environment for it than the first build.
    const before = await figures({ ...whole, groupBy: ['template'] });
    const [stored] = await rows<{ SpanId: string }>(
      client,
      `SELECT SpanId FROM otel_traces WHERE SpanAttributes['gen_ai.prompt.name'] = 'roll-b'
         AND Timestamp < now() - INTERVAL 2 HOUR ORDER BY Timestamp LIMIT 1`,
    );
    await storeAgainFromAnotherCollector(client, stored!.SpanId, 'rollup-svc');
    expect((await status()).filter((h) => !h.fresh).length).toBeGreaterThanOrEqual(1);

    expect(await figures({ ...whole, groupBy: ['template'] })).toEqual(before);
    expect((await buildRollup(client, BUILD_NOW)).built).toBe(1);
  });

  it('is not thrown off by calls dated after 2106, where its DateTime hours end', async () => {
    // One dated 2^32 s after a built hour, whose hour as a DateTime wraps around onto a real one; one in 2200.
    // Neither is counted per hour nor ever in the rollup; figures read them from llm_calls.
    const spans = [];
    for (const startMs of [START + 6 * HOUR + 1_000 + 2 ** 32 * 1000, Date.UTC(2200, 0, 1, 12)])
      spans.push(
        await factory.span({
          name: 'generate_content',
          startMs,
          durationMs: 1234,
          attributes: call(2).attributes,
        }),
      );
    const before = await figures({ ...whole, step: 'hour', groupBy: ['template'] });
    await sendCalls(collector.url, client, spans, "prompt_name LIKE 'roll-%'", CALLS + 4);
    await buildRollup(client, BUILD_NOW);
    const hours = await status();
    expect(hours.filter((h) => !h.hour.endsWith(':00:00'))).toEqual([]);
    expect(hours.filter((h) => !h.fresh).length).toBeLessThanOrEqual(1);
    expect(await figures({ ...whole, step: 'hour', groupBy: ['template'] })).toEqual(before);
  });

  it('serves Grafana panels from it: a month-wide 30-minute interval is charted per hour, as the API charts hours', async () => {
    const panel = overviewDashboard().panels!.find((p) => p.title === 'P95 latency by template')!;
    const sql = expandGrafanaSql((panel as unknown as { targets: { rawSql: string }[] }).targets[0]!.rawSql, {
      fromMs: whole.from,
      toMs: whole.to - 1,
      intervalSeconds: 1800,
      variables: { template: 'all', model: 'all', service: 'all' },
    });
    const grafana = await rows<{ time: string; template: string; p95_ms: number }>(client, sql);
    const api = await figures({ ...whole, step: 'hour', groupBy: ['template'] }, ['p95_ms']);
    expect(grafana.map((r) => [`${r.time.replace(' ', 'T')}Z`, r.template, r.p95_ms])).toEqual(
      api.map((r) => [r.bucket, r.template, r.p95_ms]),
    );
  });

  it('stands in for llm_calls over a fresh hour: calls deleted from llm_calls behind its back still count', async () => {
    // Not something promptscope does; it shows the figures really come from the rollup for the hours it holds.
    const slice: Slice = { from: START + HOUR, to: START + 3 * HOUR };
    const before = await figures(slice, ['calls']);
    expect(before[0]!.calls).toBeGreaterThan(0);
    await client.command({
      query: `ALTER TABLE llm_calls DELETE WHERE timestamp >= fromUnixTimestamp64Milli(${slice.from})
        AND timestamp < fromUnixTimestamp64Milli(${slice.to}) SETTINGS mutations_sync = 2`,
    });
    expect(await figures(slice, ['calls'], false)).toEqual([{ calls: 0 }]);
    expect(await figures(slice, ['calls'])).toEqual(before);
  });
});
