import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PriceEntryInput } from '#sdk/pricing';
import { loadPriceCatalog } from '#sdk/pricing';
import type { RunningCollector } from '../../collector/index.ts';
import { createTestApi, serveTestApi, type TestApi } from '../../test/support/api.ts';
import {
  collectorOnTestClickHouse,
  placeOneSecondApart,
  rows,
  sendCalls,
  serviceSpans,
} from '../../test/support/collector.ts';
import { reprice } from '../cli/reprice.ts';
import { loadConfig } from '../config.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { buildRollup } from './hourly-rollup.ts';

const price = (model: string, input: string, output: string): PriceEntryInput => ({
  id: `house/${model}`,
  providers: ['acme'],
  models: [model],
  effective_from: '2020-01-01',
  tiers: [{ input, output }],
  source: 'test',
});

/** A closed hour, three hours ago, that the rollup builds. */
const HOUR = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
const CALL = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'acme',
  'gen_ai.prompt.name': 'reprice',
};

describe('re-pricing stored calls (POST /api/v1/admin/reprice)', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let api: TestApi;
  beforeAll(async () => {
    // The collector prices with the catalog of the day: house-model at $1 / $2 per 1M, new-model unknown.
    ({ client, collector } = await collectorOnTestClickHouse({
      catalog: loadPriceCatalog({ withoutBuiltIn: true, overrides: [price('house-model', '1', '2')] }),
    }));
    // Later, the price is corrected and the new model gets one: the API's catalog.
    api = await createTestApi({
      prices: loadPriceCatalog({
        withoutBuiltIn: true,
        overrides: [price('house-model', '2', '4'), price('new-model', '1', '1')],
      }),
    });
    const spanOf = serviceSpans('reprice-svc');
    const tokens = { 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 1000 };
    const spans = [
      spanOf({ ...CALL, ...tokens, 'gen_ai.request.model': 'house-model' }),
      spanOf({ ...CALL, ...tokens, 'gen_ai.request.model': 'new-model' }),
      // A cost the service computed itself: re-pricing leaves it alone
      spanOf({
        ...CALL,
        ...tokens,
        'gen_ai.request.model': 'house-model',
        'gen_ai.usage.cost.amount': '0.5',
      }),
    ];
    placeOneSecondApart(spans, HOUR + 600_000);
    await sendCalls(collector.url, client, spans, "prompt_name = 'reprice'", 3);
    await buildRollup(client, { closeAfterMs: 0, quietMs: 0, maxHoursPerRound: 10 });
  });
  afterAll(async () => {
    await collector.stop();
    await api.close();
  });

  const range = { from: HOUR, to: HOUR + 3_600_000 };
  const figures = async () => {
    const res = await api.call(
      'GET',
      `/api/v1/analytics/usage?from=${range.from}&to=${range.to}&template=reprice&figures=calls,cost,unpriced_calls`,
      { key: api.keys.telemetry },
    );
    expect(res.status).toBe(200);
    return res.body.rows[0];
  };

  it('a dry run counts what would change and writes nothing', async () => {
    expect(await figures()).toEqual({ calls: 3, cost: '0.503', unpriced_calls: 1 });
    const res = await api.call('POST', '/api/v1/admin/reprice', { body: { ...range, dry_run: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ examined: 2, changed: 2, dry_run: true });
    expect(await figures()).toEqual({ calls: 3, cost: '0.503', unpriced_calls: 1 });
  });

  it('corrects history: every figure reads the new price at once, the rollup follows, the audit log says who', async () => {
    const res = await api.call('POST', '/api/v1/admin/reprice', {
      body: { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() },
    });
    expect(res.body).not.toHaveProperty('error');
    // house-model: 1000 × $1 + 1000 × $2 → 1000 × $2 + 1000 × $4; new-model: unpriced → 1000 × $1 + 1000 × $1
    expect(res.body).toMatchObject({
      examined: 2,
      changed: 2,
      cost_before: '0.003',
      cost_after: '0.008',
      transitions: { 'priced→priced': 1, 'unpriced→priced': 1 },
      catalogs: ['overrides'],
      dry_run: false,
    });
    expect(await figures()).toEqual({ calls: 3, cost: '0.508', unpriced_calls: 0 });
    const [stored] = await rows<{ cost: string; price_id: string }>(
      client,
      "SELECT toString(cost_amount) AS cost, cost_price_id AS price_id FROM llm_calls FINAL WHERE prompt_name = 'reprice' AND request_model = 'new-model'",
    );
    expect(stored).toEqual({ cost: '0.002', price_id: 'house/new-model' });
    // The hour was rolled up before: it is rebuilt from the corrected calls and answers the same.
    const round = await buildRollup(client, { closeAfterMs: 0, quietMs: 0, maxHoursPerRound: 10 });
    expect(round.built).toBeGreaterThan(0);
    expect(await figures()).toEqual({ calls: 3, cost: '0.508', unpriced_calls: 0 });
    const audit = await api.call('GET', '/api/v1/admin/audit?resource_type=llm_calls');
    expect(audit.body.entries[0]).toMatchObject({
      actor: expect.stringContaining('(test-admin)'),
      action: 'calls.reprice',
      details: { changed: 2, cost_before: '0.003', cost_after: '0.008' },
    });
  });

  it('running it again changes nothing', async () => {
    const res = await api.call('POST', '/api/v1/admin/reprice', { body: range });
    expect(res.body).toMatchObject({ examined: 2, changed: 0 });
  });

  it.each([
    ['from after to', { from: range.to, to: range.from }, 'from'],
    ['a bad time', { from: 'yesterday', to: range.to }, 'from'],
    ['an unknown field', { ...range, everything: true }, 'everything'],
  ])('%s is a 422 naming the field', async (_case, body, field) => {
    const res = await api.call('POST', '/api/v1/admin/reprice', { body });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('promptscope reprice prints what changed, through the API with the key it is given', async () => {
    const served = await serveTestApi(api);
    const lines: string[] = [];
    process.env.PROMPTSCOPE_API_KEY = api.keys.admin;
    try {
      const code = await reprice(
        loadConfig({}),
        [
          '--from',
          new Date(range.from).toISOString(),
          '--to',
          new Date(range.to).toISOString(),
          '--dry-run',
          '--url',
          served.url,
        ],
        (s) => lines.push(s),
      );
      expect(code).toBe(0);
      expect(lines.join('\n')).toContain('would re-price calls from');
      expect(lines.join('\n')).toContain('changed   0');
      const bad = await reprice(
        loadConfig({}),
        ['--from', 'soon', '--to', 'later', '--url', served.url],
        () => {},
      );
      expect(bad).toBe(2);
    } finally {
      delete process.env.PROMPTSCOPE_API_KEY;
      await served.close();
    }
  });

  it('needs an admin key', async () => {
    const res = await api.call('POST', '/api/v1/admin/reprice', { body: range, key: api.keys.telemetry });
    expect(res.status).toBe(403);
  });
});
