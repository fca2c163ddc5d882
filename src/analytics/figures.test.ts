import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../../collector/index.ts';
import { createTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import {
  migrateClickHouse,
  rows,
  sendCalls,
  spanFactory,
  storeAgainFromAnotherCollector,
  testCollector,
} from '../../test/support/collector.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';

const NOW = Date.now();
const START = NOW - 30 * 60_000;

/** Known calls, and below, the figures computed by hand from them. */
const CALLS = [
  {
    template: 'fig-a',
    ms: 100,
    model: 'gemini-2.5-flash',
    usage: { in: 1000, cache: 200, write: 100, out: 50, think: 10 },
    cost: '0.001',
  },
  {
    template: 'fig-a',
    ms: 200,
    model: 'gemini-2.5-flash',
    usage: { in: 500, cache: 0, out: 20, think: 0 },
    cost: '0.002',
  },
  { template: 'fig-a', ms: 300, model: 'gemini-2.5-flash', error: '429' },
  { template: 'fig-a', ms: 400, model: 'mystery-model', usage: { in: 10, cache: 0, out: 5, think: 0 } },
  {
    template: 'fig-b',
    ms: 1000,
    model: 'gemini-2.5-flash',
    usage: { in: 100, cache: 0, out: 10, think: 0 },
    cost: '0.0005',
  },
] as const;

const EXPECTED_FIG_A = {
  template: 'fig-a',
  calls: 4,
  successes: 3,
  errors: 1,
  success_rate: 0.75,
  error_rate: 0.25,
  p50_ms: 200,
  p95_ms: 400,
  p99_ms: 400,
  ttfc_p95_ms: null,
  input_uncached_tokens: 700 + 500 + 10,
  cache_read_tokens: 200,
  cache_write_tokens: 100,
  output_tokens: 75,
  thinking_tokens: 10,
  cost: '0.003',
  cost_per_call: '0.00075',
  cost_per_success: '0.001',
  cost_per_1k_calls: '0.75',
  unpriced_calls: 1,
  unpriced_share: 0.25,
  not_billed_calls: 1,
};

describe('analytics figures (src/analytics/figures.ts) through the API', () => {
  let api: TestApi;
  let client: ClickHouseClient;
  let collector: RunningCollector;
  // One factory for the file: its span ids are a counter, so a second factory would repeat them.
  const factory = spanFactory('figures-svc');
  const get = (path: string, headers: Record<string, string> = {}) =>
    api.call('GET', path, { key: api.keys.telemetry, headers });
  const range = `from=${START - 60_000}&to=${NOW + 60_000}`;

  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    collector = await testCollector(client);
    api = await createTestApi();
    const spans = [];
    for (const [i, c] of CALLS.entries()) {
      const usage = 'usage' in c ? c.usage : undefined;
      spans.push(
        await factory.span({
          name: `generate_content ${c.model}`,
          startMs: START + i * 1000,
          durationMs: c.ms,
          error: 'error' in c ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.provider.name': 'gcp.gemini',
            'gen_ai.request.model': c.model,
            'gen_ai.prompt.name': c.template,
            'gen_ai.prompt.version': c.template === 'fig-a' ? '1' : '2',
            ...(usage
              ? {
                  'gen_ai.usage.input_tokens': usage.in,
                  'gen_ai.usage.cache_read.input_tokens': usage.cache,
                  ...('write' in usage ? { 'gen_ai.usage.cache_creation.input_tokens': usage.write } : {}),
                  'gen_ai.usage.output_tokens': usage.out,
                  'gen_ai.usage.reasoning.output_tokens': usage.think,
                }
              : {}),
            ...('cost' in c
              ? { 'gen_ai.usage.cost.amount': c.cost, 'gen_ai.usage.cost.currency': 'USD' }
              : {}),
            ...('error' in c ? { 'error.type': c.error } : {}),
          },
        }),
      );
    }
    await sendCalls(collector.url, client, spans, "prompt_name LIKE 'fig-%'", 5, 'protobuf');
  });
  afterAll(async () => {
    await collector.stop();
    await api.close();
  });

  it('computes every usage figure per template, as computed by hand', async () => {
    const res = await get(`/api/v1/analytics/usage?${range}&group_by=template`);
    expect(res.status).toBe(200);
    const figA = res.body.rows.find((r: { template: string }) => r.template === 'fig-a');
    expect(figA).toEqual(EXPECTED_FIG_A);
    expect(res.body.rows.map((r: { template: string }) => r.template)).toEqual(['fig-a', 'fig-b']);
  });

  it('computes only the figures asked for, with the same values; an unknown figure is a 422 naming it', async () => {
    const some = await get(`/api/v1/analytics/usage?${range}&group_by=template&figures=calls,p95_ms,cost`);
    const figA = some.body.rows.find((r: { template: string }) => r.template === 'fig-a');
    expect(figA).toEqual({
      template: 'fig-a',
      calls: EXPECTED_FIG_A.calls,
      p95_ms: EXPECTED_FIG_A.p95_ms,
      cost: EXPECTED_FIG_A.cost,
    });
    for (const [figures, message] of [
      ['calls,happiness', "unknown figure 'happiness'"],
      ['', 'name at least one figure'],
    ] as const) {
      const bad = await get(`/api/v1/analytics/usage?${range}&figures=${figures}`);
      expect(bad.status).toBe(422);
      expect(bad.body.error.details.fields).toEqual([
        { field: 'figures', message: expect.stringContaining(message) },
      ]);
    }
  });

  it('filters, buckets by UTC hour, and lists errors by error.type', async () => {
    const bucketed = await get(`/api/v1/analytics/usage?${range}&step=hour&template=fig-b`);
    expect(bucketed.body.rows).toHaveLength(1);
    expect(bucketed.body.rows[0]).toMatchObject({
      bucket: new Date(Math.floor((START + 4000) / 3_600_000) * 3_600_000)
        .toISOString()
        .replace('.000Z', 'Z'),
      calls: 1,
      cost: '0.0005',
      p95_ms: 1000,
    });
    const errors = await get(`/api/v1/analytics/errors?${range}&group_by=template`);
    expect(errors.body.rows).toEqual([{ template: 'fig-a', error_type: '429', errors: 1 }]);
    const top = await get(`/api/v1/analytics/top-calls?${range}&limit=2`);
    expect(top.body.rows.map((r: { cost: string }) => r.cost)).toEqual(['0.002', '0.001']);
  });

  it('counts a span that reached ClickHouse twice once in every figure', async () => {
    const before = (await get(`/api/v1/analytics/usage?${range}&group_by=template`)).body.rows;
    // The first call, stored again the way a second collector instance (another insert token) would.
    const [stored] = await rows<{ SpanId: string }>(
      client,
      "SELECT SpanId FROM otel_traces WHERE SpanAttributes['gen_ai.prompt.name'] = 'fig-a' ORDER BY Timestamp LIMIT 1",
    );
    await storeAgainFromAnotherCollector(client, stored!.SpanId, 'figures-svc');
    const [copies] = await rows<{ n: string }>(
      client,
      `SELECT toString(count()) AS n FROM otel_traces WHERE SpanId = '${stored!.SpanId}'`,
    );
    expect(copies!.n).toBe('2');
    expect((await get(`/api/v1/analytics/usage?${range}&group_by=template`)).body.rows).toEqual(before);
  });

  it('compares the variants of a split: rates with Wilson intervals and which differences are significant', async () => {
    // Variant 1: 40 calls, 2 errors, tokens 90/110 alternating, cost 0.001 each; variant 2: 40 calls, 12 errors,
    // tokens 140/160, cost 0.002 each. Expected values from scipy (see each comment).
    const spans = [];
    for (const variant of ['1', '2']) {
      for (let i = 0; i < 40; i++) {
        const failed = i < (variant === '1' ? 2 : 12);
        spans.push(
          await factory.span({
            name: 'generate_content gemini-2.5-flash',
            startMs: START + 10_000 + i,
            durationMs: variant === '1' ? 100 + i : 200 + i,
            error: failed ? 'boom' : undefined,
            attributes: {
              'gen_ai.operation.name': 'generate_content',
              'gen_ai.request.model': 'gemini-2.5-flash',
              'gen_ai.prompt.name': 'ab-template',
              'gen_ai.prompt.version': variant,
              'promptscope.prompt.label': 'production',
              'promptscope.prompt.variant': variant,
              'gen_ai.usage.input_tokens': (variant === '1' ? 80 : 130) + (i % 2) * 20,
              'gen_ai.usage.output_tokens': 10,
              'gen_ai.usage.cost.amount': variant === '1' ? '0.001' : '0.002',
            },
          }),
        );
      }
    }
    await sendCalls(collector.url, client, spans, "prompt_name = 'ab-template'", 80, 'json');
    const res = await get(`/api/v1/analytics/ab?${range}&template=ab-template&label=production`);
    expect(res.status).toBe(200);
    expect(res.body.control).toBe('1');
    const [one, two] = res.body.variants;
    expect(one).toEqual({
      variant: '1',
      calls: 40,
      errors: 2,
      error_rate: 0.05,
      error_rate_ci95: [0.013821, 0.165039], // Wilson, z = 1.96
      p95_ms: 138,
      cost: '0.04',
      cost_per_call: '0.001',
      tokens_per_call: 100,
    });
    expect(two).toMatchObject({
      variant: '2',
      calls: 40,
      errors: 12,
      error_rate: 0.3,
      error_rate_ci95: [0.180748, 0.4543],
    });
    expect(two.vs_control.error_rate.difference).toBe(0.25);
    expect(two.vs_control.error_rate.p_value).toBeCloseTo(0.00325626962841207, 6); // 2 * norm.sf(|z|)
    expect(two.vs_control.error_rate).toMatchObject({
      significant: true,
      test: 'two-proportion z-test (pooled, two-sided)',
    });
    expect(two.vs_control.tokens_per_call).toMatchObject({
      difference: 50,
      significant: true,
      test: "Welch's t-test (two-sided)",
    });
    expect(two.vs_control.tokens_per_call.p_value).toBeLessThan(1e-30); // scipy ttest_ind(equal_var=False): 2.7e-35
    expect(two.vs_control.p95_ms).toEqual({ difference: 100, test: 'not tested' });
    // With the other variant as control, the same difference the other way round.
    const flipped = await get(
      `/api/v1/analytics/ab?${range}&template=ab-template&label=production&control=2`,
    );
    expect(flipped.body.variants[0].vs_control.error_rate.difference).toBe(-0.25);
    // Money stays an exact decimal string in the comparison too: 0.002 − 0.001 per call, exactly.
    expect(two.cost_per_call).toBe('0.002');
    expect(two.vs_control.cost_per_call.difference).toBe('0.001');
    expect(flipped.body.variants[0].vs_control.cost_per_call.difference).toBe('-0.001');
    // A control that served nothing in the range is named, with the variants there are, not silently replaced.
    const unknown = await get(
      `/api/v1/analytics/ab?${range}&template=ab-template&label=production&control=9.9.9`,
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details.fields).toEqual([
      { field: 'control', message: "no variant '9.9.9' served in this range: 1, 2" },
    ]);
  });

  it('answers CSV with Accept: text/csv', async () => {
    const res = await api.app.request(`/api/v1/analytics/usage?${range}&group_by=template&template=fig-a`, {
      headers: { authorization: `Bearer ${api.keys.telemetry}`, accept: 'text/csv' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const [header, line, end] = (await res.text()).split('\r\n');
    expect(header!.split(',')).toEqual(Object.keys(EXPECTED_FIG_A));
    expect(line!.split(',')).toEqual(Object.values(EXPECTED_FIG_A).map((v) => (v === null ? '' : String(v))));
    expect(end).toBe('');
  });

  it.each([
    ['group_by', 'group_by=template,colour'],
    ['group_by', 'group_by=template,template'],
    ['step', `step=minute&from=0&to=${NOW}`],
    ['from', `from=${NOW}&to=${NOW - 1}`],
    ['from', 'from=9999-12-31T00:00:00Z'],
    ['step', 'step=week'],
    ['test_runs', 'test_runs=maybe'],
  ])('refuses a bad %s with a 422 naming it (%s)', async (field, query) => {
    const res = await get(`/api/v1/analytics/usage?${query}`);
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([field]);
  });
});

describe('per-version figures on the template endpoints', () => {
  it('carry 24 h and 7 d calls, success rate, p95 and cost per version, from the calls that used it', async () => {
    const client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    const collector = await testCollector(client);
    const api = await createTestApi();
    try {
      const created = await api.call('POST', '/api/v1/admin/prompts', {
        body: { name: 'stats-tpl', version: '1.0.0', template_text: 'Hi {{who}}', variables: ['who'] },
      });
      expect(created.status).toBe(201);
      const factory = spanFactory('stats-svc');
      const call = (agoMs: number, ms: number, cost: string, error = false) =>
        factory.span({
          name: 'generate_content gemini-2.5-flash',
          startMs: Date.now() - agoMs,
          durationMs: ms,
          error: error ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.request.model': 'gemini-2.5-flash',
            'gen_ai.prompt.name': 'stats-tpl',
            'gen_ai.prompt.version': '1.0.0',
            'gen_ai.usage.input_tokens': 10,
            'gen_ai.usage.cost.amount': cost,
          },
        });
      // Two calls in the last day (one failed), one three days ago, one ten days ago (outside both windows).
      const spans = [
        await call(60_000, 100, '0.001'),
        await call(120_000, 300, '0.002', true),
        await call(3 * 86_400_000, 500, '0.004'),
        await call(10 * 86_400_000, 900, '0.008'),
      ];
      await sendCalls(collector.url, client, spans, "prompt_name = 'stats-tpl'", 4);
      const expected = {
        last_24h: { calls: 2, success_rate: 0.5, p95_ms: 300, cost: '0.003' },
        last_7d: { calls: 3, success_rate: 0.666667, p95_ms: 500, cost: '0.007' },
      };
      const one = await api.call('GET', `/api/v1/admin/prompts/${created.body.id}`);
      expect(one.body.stats).toEqual(expected);
      const list = await api.call('GET', '/api/v1/admin/templates/stats-tpl/versions');
      expect(list.body.versions[0].stats).toEqual(expected);
      const summary = await api.call('GET', '/api/v1/admin/templates/stats-tpl');
      expect(summary.body.stats_by_version).toEqual({ '1.0.0': expected });
    } finally {
      await collector.stop();
      await api.close();
    }
  });
});
