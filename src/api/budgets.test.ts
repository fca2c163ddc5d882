import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { callRows } from '../alerts/rule-tests.ts';
import { parseRuleFile } from '../alerts/rules.ts';

const RULES = `budgets:
  - { name: monthly, amount: 300, period: month, where: { service: budget-api } }
  - name: per-tenant
    amount: 20
    period: day
    time_zone: America/New_York
    by: [tenant]
    where: { service: budget-api }
    warn_at: [25, 50]
    forecast: false
`;
const START = Date.parse('2025-03-01T00:00:00Z');
const AT = '2025-03-05T12:00:00Z';

describe('budget state (GET /api/v1/budgets)', () => {
  let api: TestApi;
  beforeAll(async () => {
    const parsed = parseRuleFile('budgets.yaml', RULES);
    if (!('groups' in parsed)) throw new Error(JSON.stringify(parsed.problems));
    api = await createTestApi({ alertRules: parsed.groups });
    const { client } = await testClickHouse();
    await migrateClickHouse(client);
    const rows = [
      // 10 calls a minute at $0.001 from March 1st to the 5th at noon: $64.80
      ...callRows(
        { service: 'budget-api', from: '0m', to: '108h', per_minute: 10, cost_usd: '0.001' },
        START,
        0,
      ),
      // acme: a call a minute at $0.10 from 04:00 to 06:00 UTC on the 5th; New York's day starts at 05:00 UTC
      ...callRows(
        { service: 'budget-api', tenant: 'acme', from: '100h', to: '102h', per_minute: 1, cost_usd: '0.1' },
        START,
        1,
      ),
      // Another service's calls count in neither budget
      ...callRows(
        { service: 'other', tenant: 'acme', from: '100h', to: '101h', per_minute: 10, cost_usd: '1' },
        START,
        2,
      ),
    ];
    await client.insert({ table: 'llm_calls', values: rows, format: 'JSONEachRow' });
  });
  afterAll(() => api.close());

  it('a month: spent, the projection at the last 7 days’ rate, what remains', async () => {
    const res = await api.call('GET', `/api/v1/budgets/monthly?at=${AT}`, { key: api.keys.telemetry });
    expect(res.status).toBe(200);
    // spent $64.80 + $12; projected = 76.8 + 76.8 × 26.5 days / 7 days (to 12 decimals)
    expect(res.body).toEqual({
      name: 'monthly',
      amount: '300',
      currency: 'USD',
      period: 'month',
      time_zone: 'UTC',
      period_start: '2025-03-01T00:00:00.000Z',
      period_end: '2025-04-01T00:00:00.000Z',
      by: [],
      where: { service: 'budget-api' },
      warn_at: [50, 80, 100],
      forecast_lookback: '7 days',
      groups: [
        {
          labels: {},
          spent: '76.8',
          projected: '367.542857142857',
          remaining: '223.2',
          spent_share: 0.256,
          steps_reached: [],
        },
      ],
    });
  });

  it('a day per tenant in New York: only what was spent since its midnight', async () => {
    const res = await api.call('GET', `/api/v1/budgets?at=${AT}`, { key: api.keys.telemetry });
    expect(res.status).toBe(200);
    const perTenant = res.body.budgets.find((b: { name: string }) => b.name === 'per-tenant');
    expect(perTenant).toMatchObject({
      period_start: '2025-03-05T05:00:00.000Z',
      period_end: '2025-03-06T05:00:00.000Z',
      groups: [
        // Calls without a tenant are a group of their own: 10 a minute at $0.001 from 05:00 to 12:00 UTC
        { labels: { tenant: '' }, spent: '4.2', projected: null, remaining: '15.8', steps_reached: [] },
        {
          labels: { tenant: 'acme' },
          spent: '6',
          projected: null,
          remaining: '14',
          spent_share: 0.3,
          steps_reached: [25],
        },
      ],
    });
  });

  it.each([
    ['an unknown budget', '/api/v1/budgets/nope', 404],
    ['a bad time', '/api/v1/budgets?at=soon', 422],
  ])('%s: %d', async (_case, url, status) => {
    expect((await api.call('GET', url, { key: api.keys.telemetry })).status).toBe(status);
  });

  it('needs telemetry:read', async () => {
    expect((await api.call('GET', '/api/v1/budgets', { key: api.keys.reader })).status).toBe(403);
  });
});
