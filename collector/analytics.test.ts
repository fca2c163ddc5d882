import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../src/analytics/figures.ts';
import { type ReportName, reportQuery } from '../src/analytics/reports.ts';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import { createTestApi, type TestApi, testClickHouse } from '../test/support/api.ts';
import {
  collectorOnTestClickHouse,
  eventually,
  exportSpans,
  migrateClickHouse,
  otlpExporter,
  rows,
  spanFactory,
  testCollector,
} from '../test/support/collector.ts';
import type { RunningCollector } from './collector.ts';

const NOW = Date.now();
const HOUR = 3_600_000;

/** Known calls: template, version, model, latency, cost (as the sdk writes it), error, minutes ago. */
const CALLS = [
  { template: 'support', version: '1', ms: 100, cost: '0.0010', error: false, ago: 5 },
  { template: 'support', version: '1', ms: 200, cost: '0.0020', error: false, ago: 10 },
  { template: 'support', version: '2', ms: 300, cost: '0.0030', error: true, ago: 20 },
  { template: 'search', version: '1', ms: 400, cost: undefined, error: false, ago: 30 },
  { template: 'search', version: '1', ms: 1000, cost: '0.0100', error: false, ago: 90 },
  { template: 'search', version: '1', ms: 500, cost: '0.0005', error: true, ago: 26 * 60 },
];

describe('what arrives: llm_calls, prompt_executions, the seed queries and the read API', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let api: TestApi;
  const q = async <T>(sql: string) => {
    const rs = await client.query({
      query: sql,
      query_params: { now: new Date(NOW + 1000).toISOString().replace('T', ' ').replace('Z', '') },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return rs.json<T>();
  };

  beforeAll(async () => {
    ({ client, collector } = await collectorOnTestClickHouse());
    api = await createTestApi();
    const factory = spanFactory('analytics-svc');
    const spans = [];
    for (const c of CALLS) {
      spans.push(
        await factory.span({
          name: 'generate_content gemini-2.5-flash',
          startMs: NOW - c.ago * 60_000,
          durationMs: c.ms,
          error: c.error ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.provider.name': 'gcp.gemini',
            'gen_ai.request.model': c.cost === undefined ? 'mystery-model' : 'gemini-2.5-flash',
            'gen_ai.prompt.name': c.template,
            'gen_ai.prompt.version': c.version,
            'gen_ai.usage.input_tokens': 100,
            'gen_ai.usage.output_tokens': 10,
            ...(c.cost ? { 'gen_ai.usage.cost.amount': c.cost, 'gen_ai.usage.cost.currency': 'USD' } : {}),
            ...(c.error ? { 'error.type': '429' } : {}),
          },
        }),
      );
    }
    // A span that is not an LLM call stays out of llm_calls.
    spans.push(
      await factory.span({
        name: 'GET /health',
        startMs: NOW,
        durationMs: 1,
        attributes: { 'http.method': 'GET' },
      }),
    );
    const exporter = otlpExporter(collector.url, 'protobuf', false);
    expect(await exportSpans(exporter, spans)).toBe(0);
    // The same spans delivered again (a client retry) are acknowledged but not stored twice.
    expect(await exportSpans(exporter, spans.slice(0, 2))).toBe(0);
    expect(collector.metrics.spansDuplicate).toBe(2);
    await eventually(
      async () => (await rows<{ n: string }>(client, 'SELECT count() AS n FROM otel_traces'))[0]!.n === '7',
      'all spans',
    );
  });
  afterAll(async () => {
    await collector.stop();
    await api.close();
  });

  it('llm_calls holds one typed row per LLM call, duplicates collapsed', async () => {
    const calls = await q<{
      prompt_name: string;
      prompt_version: string;
      cost: string | null;
      cost_status: string;
      success: number;
      error_type: string;
      duration_ns: number;
    }>(
      `SELECT prompt_name, prompt_version, toString(cost_amount) AS cost, cost_status, success, error_type, duration_ns
       FROM llm_calls FINAL ORDER BY timestamp DESC`,
    );
    expect(calls).toHaveLength(6);
    expect(calls[0]).toEqual({
      prompt_name: 'support',
      prompt_version: '1',
      cost: '0.001',
      cost_status: 'priced',
      success: 1,
      error_type: '',
      duration_ns: 100_000_000,
    });
    expect(calls[2]).toMatchObject({ prompt_version: '2', success: 0, error_type: '429' });
    expect(calls[3]).toMatchObject({ prompt_name: 'search', cost: null, cost_status: 'unpriced' });
  });

  it("prompt_executions answers with the seed's column names", async () => {
    const [e] = await q<Record<string, unknown>>(
      "SELECT template_name, success, response_time_ms, input_token_count, output_token_count, toString(cost_usd) AS cost_usd FROM prompt_executions WHERE template_name = 'support' ORDER BY executed_at DESC LIMIT 1",
    );
    expect(e).toEqual({
      template_name: 'support',
      success: 1,
      response_time_ms: 100,
      input_token_count: 100,
      output_token_count: 10,
      cost_usd: '0.001',
    });
  });

  it("the specification's monitoring reports: its columns, order, windows and PERCENTILE_CONT p95", async () => {
    const report = <T>(name: ReportName, testRuns?: 'include' | 'only') =>
      runQuery<T>(client, reportQuery(name, { to: NOW + 1000, testRuns }));
    // Last hour: 100, 200, 300 (failed) and 400 ms. PERCENTILE_CONT(0.95) interpolates at rank 1 + 0.95 × 3 = 3.85:
    // 300 + 0.85 × (400 − 300) = 385 (a nearest-rank p95 would say 400).
    expect(await report('last-hour-metrics')).toEqual([
      {
        total_executions: 4,
        successful: 3,
        failed: 1,
        avg_latency_ms: 250,
        p95_latency_ms: 385,
        total_cost_usd: '0.006',
        unpriced_executions: 1,
      },
    ]);
    // 24 h, dearest first. search: 0.01 over its one priced call (AVG skips the unpriced one's NULL), 400 and 1000 ms.
    expect(await report('cost-by-template')).toEqual([
      {
        template_name: 'search',
        executions: 2,
        total_cost_usd: '0.01',
        avg_cost_usd: '0.01',
        avg_latency_ms: 700,
        unpriced_executions: 1,
      },
      {
        template_name: 'support',
        executions: 3,
        total_cost_usd: '0.006',
        avg_cost_usd: '0.002',
        avg_latency_ms: 200,
        unpriced_executions: 0,
      },
    ]);
    const hourly = await report<{ hour: string; total: number; errors: number; error_rate_pct: number }>(
      'hourly-error-rate',
    );
    expect(Object.keys(hourly[0]!)).toEqual(['hour', 'total', 'errors', 'error_rate_pct']);
    expect(hourly.map((h) => h.hour)).toEqual([...hourly.map((h) => h.hour)].sort().reverse());
    expect(hourly.reduce((s, h) => s + h.total, 0)).toBe(5);
    const failing = hourly.find((h) => h.errors === 1)!;
    expect(failing.error_rate_pct).toBe(Math.round((100 / failing.total) * 100) / 100);
    const daily = await report<Record<string, unknown>>('daily-cost');
    expect(Object.keys(daily[0]!)).toEqual([
      'date',
      'template_name',
      'executions',
      'total_cost_usd',
      'avg_cost_usd',
      'p95_latency_ms',
      'success_rate_pct',
      'unpriced_executions',
    ]);
    expect(daily.reduce((s, d) => s + (d.executions as number), 0)).toBe(6);
    // Newest day first, then dearest.
    const order = daily.map((d) => [d.date as string, -Number(d.total_cost_usd)] as const);
    expect(order).toEqual([...order].sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? 1 : -1)));
    // An admin test run counts only when asked for.
    expect(await report('last-hour-metrics', 'only')).toEqual([
      expect.objectContaining({ total_executions: 0 }),
    ]);
  });

  it('GET /api/v1/executions lists calls newest first with filters and paging', async () => {
    const all = await api.call('GET', '/api/v1/executions?limit=2', { key: api.keys.telemetry });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(6);
    expect(all.body.executions).toHaveLength(2);
    expect(all.body.executions[0]).toMatchObject({
      template_name: 'support',
      template_version: '1',
      cost: '0.001',
      cost_status: 'priced',
      success: true,
      duration_ms: 100,
      service_name: 'analytics-svc',
    });
    // An empty filter means the same as in the figures: calls whose template is empty (none here), not "any".
    const untemplated = await api.call('GET', '/api/v1/executions?template=', { key: api.keys.telemetry });
    expect(untemplated.body.total).toBe(0);
    const usage = await api.call(
      'GET',
      `/api/v1/analytics/usage?template=&figures=calls&from=${NOW - 2 * 86_400_000}`,
      {
        key: api.keys.telemetry,
      },
    );
    expect(usage.body.rows).toEqual([{ calls: 0 }]);
    const errors = await api.call('GET', '/api/v1/executions?status=error', { key: api.keys.telemetry });
    expect(errors.body.executions.map((e: { error_type: string }) => e.error_type)).toEqual(['429', '429']);
    const v2 = await api.call('GET', '/api/v1/executions?template=support&version=2', {
      key: api.keys.telemetry,
    });
    expect(v2.body.total).toBe(1);
    const recent = await api.call(
      'GET',
      `/api/v1/executions?from=${new Date(NOW - 15 * 60_000).toISOString()}`,
      { key: api.keys.telemetry },
    );
    expect(recent.body.total).toBe(2);
    expect((await api.call('GET', '/api/v1/executions', { key: null })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/executions?status=meh', { key: api.keys.telemetry })).status).toBe(
      422,
    );
  });

  it('GET /api/v1/analytics/summary gives the recent execution metrics', async () => {
    const res = await api.call('GET', '/api/v1/analytics/summary?window=1h', { key: api.keys.telemetry });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      window_seconds: 3600,
      total: 4,
      successful: 3,
      failed: 1,
      success_rate: 0.75,
      avg_latency_ms: 250,
      p95_latency_ms: 400,
      total_cost: '0.006',
      cost_currency: 'USD',
      unpriced_calls: 1,
      input_tokens: 400,
      output_tokens: 40,
    });
    expect(
      (await api.call('GET', '/api/v1/analytics/summary?window=1y', { key: api.keys.telemetry })).status,
    ).toBe(422);
    void HOUR;
  });
});

describe('llm_calls: cost status and A/B variant, whoever wrote the span', () => {
  it.each([
    {
      what: 'a failed call with no usage and no cost (official collector, any instrumentation)',
      attributes: { 'gen_ai.request.model': 'gemini-2.5-flash', 'error.type': '429' },
      error: true,
      expected: { cost: '0', cost_status: 'not_billed', cost_currency: 'USD' },
    },
    {
      what: 'a failed call the sdk marked not_billed',
      attributes: {
        'gen_ai.request.model': 'gemini-2.5-flash',
        'gen_ai.usage.cost.amount': '0',
        'gen_ai.usage.cost.currency': 'USD',
        'promptscope.cost.status': 'not_billed',
      },
      error: true,
      expected: { cost: '0', cost_status: 'not_billed', cost_currency: 'USD' },
    },
    {
      what: 'a failed call that did use tokens (a blocked answer), with no price',
      attributes: { 'gen_ai.request.model': 'mystery-model', 'gen_ai.usage.input_tokens': 10 },
      error: true,
      expected: { cost: null, cost_status: 'unpriced', cost_currency: '' },
    },
    {
      what: 'a successful call with tokens and no price',
      attributes: { 'gen_ai.request.model': 'mystery-model', 'gen_ai.usage.output_tokens': 3 },
      error: false,
      expected: { cost: null, cost_status: 'unpriced', cost_currency: '' },
    },
    {
      what: 'a priced call',
      attributes: {
        'gen_ai.request.model': 'x',
        'gen_ai.usage.cost.amount': '0.000123',
        'gen_ai.usage.cost.currency': 'EUR',
      },
      error: false,
      expected: { cost: '0.000123', cost_status: 'priced', cost_currency: 'EUR' },
    },
  ])('$what → $expected.cost_status', async ({ what, attributes, error, expected }) => {
    const store = await testClickHouse();
    await migrateClickHouse(store.client);
    const collector = await testCollector(store.client);
    try {
      const template = `status-${what.replace(/\W+/g, '-')}`;
      const factory = spanFactory('status-svc');
      const span = await factory.span({
        name: 'generate_content',
        startMs: Date.now(),
        durationMs: 5,
        error: error ? 'boom' : undefined,
        attributes: {
          'gen_ai.operation.name': 'generate_content',
          'gen_ai.prompt.name': template,
          'promptscope.prompt.variant': '2',
          ...attributes,
        },
      });
      expect(await exportSpans(otlpExporter(collector.url, 'json', false), [span])).toBe(0);
      const [row] = await eventually(
        () =>
          rows<{ cost: string | null; cost_status: string; cost_currency: string; prompt_variant: string }>(
            store.client,
            `SELECT toString(cost_amount) AS cost, cost_status, cost_currency, prompt_variant
             FROM llm_calls WHERE prompt_name = '${template}'`,
          ).then((r) => r.length > 0 && r),
        'the call to land',
      );
      expect(row).toEqual({ ...expected, prompt_variant: '2' });
    } finally {
      await collector.stop();
    }
  });
});
