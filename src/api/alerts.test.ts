// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../../test/support/api.ts';
import { fingerprint } from '../alerts/labels.ts';
import { loadRuleFiles } from '../alerts/rules.ts';
import { advance } from '../alerts/state-machine.ts';
import { saveEvaluation } from '../alerts/state-store.ts';
import { SHIPPED_ALERTS } from '../config.ts';

const T = Date.now() - 10 * 60_000;
const checkout = { alertname: 'HighErrorRate', template: 'checkout', severity: 'page' };
const search = { alertname: 'HighErrorRate', template: 'search', severity: 'page' };

describe('alerts API: active alerts, history, rules and silences', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ alertRules: await loadRuleFiles([SHIPPED_ALERTS.rules]) });
    // checkout has fired since T; search has been pending since T + 5m.
    const rule = { forMs: 15 * 60_000, keepFiringForMs: 0 };
    const states = [
      { at: T - 15 * 60_000, active: [checkout] },
      { at: T, active: [checkout] },
      { at: T + 5 * 60_000, active: [checkout, search] },
    ];
    let instances = new Map();
    for (const { at, active } of states) {
      const found = new Map(
        active.map((l) => [
          fingerprint(l),
          { labels: l, annotations: { summary: `errors on ${l.template}` }, value: 0.08 },
        ]),
      );
      const out = advance(instances, found, rule, at);
      instances = out.instances;
      const status = {
        rule: 'llm-calls/HighErrorRate',
        lastEvaluatedAt: at,
        evaluationMs: 3.5,
        health: 'ok' as const,
        error: null,
        consecutiveErrors: 0,
      };
      await saveEvaluation(api.sql, 'llm-calls/HighErrorRate', { ...out, status }, at);
    }
  });
  afterAll(async () => api.close());

  it('lists pending and firing alerts with since when, value, labels and annotations', async () => {
    const res = await api.call('GET', '/api/v1/alerts', { key: api.keys.telemetry });
    expect(res.status).toBe(200);
    expect(res.body.alerts).toEqual([
      {
        rule: 'llm-calls/HighErrorRate',
        alertname: 'HighErrorRate',
        state: 'firing',
        labels: checkout,
        annotations: { summary: 'errors on checkout' },
        value: 0.08,
        active_since: new Date(T - 15 * 60_000).toISOString(),
        firing_since: new Date(T).toISOString(),
        silenced: false,
      },
      expect.objectContaining({ state: 'pending', labels: search, firing_since: null }),
    ]);
  });

  it('keeps every transition, newest first', async () => {
    const res = await api.call('GET', '/api/v1/alerts/history?rule=llm-calls/HighErrorRate', {
      key: api.keys.telemetry,
    });
    expect(res.body.transitions.map((t: any) => [t.labels.template, t.from, t.to, t.at])).toEqual([
      ['search', 'inactive', 'pending', new Date(T + 5 * 60_000).toISOString()],
      ['checkout', 'pending', 'firing', new Date(T).toISOString()],
      ['checkout', 'inactive', 'pending', new Date(T - 15 * 60_000).toISOString()],
    ]);
  });

  it('lists the loaded rules with their last evaluation and how many alerts each has', async () => {
    const res = await api.call('GET', '/api/v1/alerts/rules', { key: api.keys.telemetry });
    const rule = res.body.groups
      .flatMap((g: any) => g.rules)
      .find((r: any) => r.key === 'llm-calls/HighErrorRate');
    expect(rule).toMatchObject({
      query: 'figure',
      condition: '> 0.05',
      for: '15m',
      health: 'ok',
      evaluation_ms: 3.5,
      error: null,
      pending: 1,
      firing: 1,
    });
    expect(
      res.body.groups
        .flatMap((g: any) => g.rules.map((r: any) => r.key))
        .filter((k: string) => k.startsWith('budget:')),
    ).toEqual([
      'budget:llm-monthly/BudgetSpent/50',
      'budget:llm-monthly/BudgetSpent/80',
      'budget:llm-monthly/BudgetSpent/100',
      'budget:llm-monthly/BudgetForecast',
      'budget:tenant-daily/BudgetSpent/80',
      'budget:tenant-daily/BudgetSpent/100',
    ]);
    expect(
      [...new Set(res.body.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert)))].sort(),
    ).toEqual([
      'BudgetForecast',
      'BudgetSpent',
      'CollectorDown',
      'DailyCostOverBudget',
      'GenAiSpansUnclassified',
      'HighErrorRate',
      'HighP95Latency',
      'LowSuccessRate',
      'ServiceSilent',
      'SpansDeadLettered',
      'SpoolBacklog',
      'UnpricedCalls',
    ]);
  });

  it('creates a silence (admin), shows the alert as silenced, expires it', async () => {
    const denied = await api.call('POST', '/api/v1/alerts/silences', {
      key: api.keys.telemetry,
      body: { matchers: ['template=checkout'], duration: '1h' },
    });
    expect(denied.status).toBe(403);
    const created = await api.call('POST', '/api/v1/alerts/silences', {
      body: { matchers: ['template=checkout'], duration: '1h', comment: 'rolling back' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      matchers: ['template="checkout"'],
      status: 'active',
      comment: 'rolling back',
    });
    const alerts = (await api.call('GET', '/api/v1/alerts')).body.alerts;
    expect(alerts.map((a: any) => [a.labels.template, a.silenced])).toEqual([
      ['checkout', true],
      ['search', false],
    ]);
    const expired = await api.call('DELETE', `/api/v1/alerts/silences/${created.body.id}`);
    expect(expired.body.status).toBe('expired');
    expect((await api.call('GET', '/api/v1/alerts')).body.alerts[0].silenced).toBe(false);
    const audit = await api.call(
      'GET',
      `/api/v1/admin/audit?resource_type=silence&resource_id=${created.body.id}`,
    );
    expect(audit.body.entries.map((e: any) => e.action).sort()).toEqual(['silence.create', 'silence.expire']);
    expect((await api.call('DELETE', '/api/v1/alerts/silences/nope')).status).toBe(404);
  });

  it.each([
    [{ matchers: ['template'], duration: '1h' }, 'matchers.0'],
    [{ matchers: ['template=~.*'], duration: '1h' }, 'matchers'],
    [{ matchers: ['template=x'] }, 'ends_at'],
    [{ matchers: ['template=x'], duration: 'soon' }, 'duration'],
    [{ matchers: ['template=x'], duration: '100000d' }, 'duration'], // past 2262, as an ends_at there is refused
    [{ matchers: ['template=x'], ends_at: '2263-01-01T00:00:00Z' }, 'ends_at'],
    [{ matchers: ['template=x'], ends_at: '2020-01-01T00:00:00Z' }, 'ends_at'],
    [{ matchers: ['template=x'], duration: '1h', ends_at: '2030-01-01T00:00:00Z' }, 'duration'],
    [{ matchers: [], duration: '1h' }, 'matchers'],
    [{ matchers: ['template=x'], duration: '1h', colour: 'red' }, 'colour'],
  ])('refuses a bad silence with a 422 naming the field: %j', async (body, field) => {
    const res = await api.call('POST', '/api/v1/alerts/silences', { body });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.map((f: any) => f.field)).toContain(field);
  });
});
