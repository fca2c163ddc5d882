import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overviewDashboard } from '../dashboards/build.ts';
import { ruleSql } from '../src/alerts/rule-query.ts';
import { parseRuleFile } from '../src/alerts/rules.ts';
import { runQuery } from '../src/analytics/figures.ts';
import { buildRollup } from '../src/analytics/hourly-rollup.ts';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import { createTestApi, type TestApi } from '../test/support/api.ts';
import {
  collectorOnTestClickHouse,
  eventually,
  exportSpans,
  otlpExporter,
  placeOneSecondApart,
  rows,
  sendCalls,
  serviceSpans,
} from '../test/support/collector.ts';
import { dashboardVariables, expandGrafanaSql } from '../test/support/grafana-macros.ts';
import type { RunningCollector } from './collector.ts';

interface Attribution {
  user_id: string;
  session_id: string;
  conversation_id: string;
  tenant: string;
  properties: Record<string, string>;
}

const CALL = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
};

/** Who and what each call is for, as the sdk and other instrumentations write it, lands in llm_calls' columns. */
describe('attribution in llm_calls', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  beforeAll(async () => {
    ({ client, collector } = await collectorOnTestClickHouse());
  });
  afterAll(() => collector.stop());

  it.each([
    [
      'the sdk (withAttribution)',
      {
        'user.id': 'u-1',
        'session.id': 's-1',
        'gen_ai.conversation.id': 'c-1',
        'promptscope.tenant': 'acme',
        'promptscope.property.feature': 'search',
        'promptscope.property.plan': 'pro',
      },
      {
        user_id: 'u-1',
        session_id: 's-1',
        conversation_id: 'c-1',
        tenant: 'acme',
        properties: { feature: 'search', plan: 'pro' },
      },
    ],
    [
      "Langfuse's names",
      { 'langfuse.user.id': 'u-2', 'langfuse.session.id': 's-2' },
      { user_id: 'u-2', session_id: 's-2', conversation_id: '', tenant: '', properties: {} },
    ],
    [
      "OpenLLMetry's association properties",
      {
        'traceloop.association.properties.user_id': 'u-3',
        'traceloop.association.properties.session_id': 's-3',
        'traceloop.association.properties.feature': 'summarise',
      },
      {
        user_id: 'u-3',
        session_id: 's-3',
        conversation_id: '',
        tenant: '',
        properties: { feature: 'summarise' },
      },
    ],
    [
      "OpenInference's (the semantic-convention names)",
      { 'user.id': 'u-4', 'session.id': 's-4' },
      { user_id: 'u-4', session_id: 's-4', conversation_id: '', tenant: '', properties: {} },
    ],
    [
      "OpenInference's metadata (string and number values; an object is not a property)",
      {
        'user.id': 'u-6',
        metadata: '{"plan":"team","seats":12,"nested":{"a":1}}',
        'promptscope.property.plan': 'enterprise',
      },
      {
        user_id: 'u-6',
        session_id: '',
        conversation_id: '',
        tenant: '',
        properties: { plan: 'enterprise', seats: '12' },
      },
    ],
    [
      'nothing: empty, never a guess',
      {},
      { user_id: '', session_id: '', conversation_id: '', tenant: '', properties: {} },
    ],
    [
      'the semantic-convention name wins over the others',
      { 'user.id': 'u-5', 'langfuse.user.id': 'other', 'promptscope.property.empty': '' },
      { user_id: 'u-5', session_id: '', conversation_id: '', tenant: '', properties: {} },
    ],
  ] as [string, Record<string, string>, Attribution][])('%s', async (_, attributes, expected) => {
    const span = serviceSpans('attribution-svc')({ ...CALL, ...attributes });
    expect(await exportSpans(otlpExporter(collector.url, 'protobuf', false), [span])).toBe(0);
    const id = span.spanContext().spanId;
    const [row] = await eventually(
      () =>
        rows<Attribution>(
          client,
          `SELECT user_id, session_id, conversation_id, tenant, properties FROM llm_calls FINAL WHERE span_id = '${id}'`,
        ).then((r) => (r.length ? r : undefined)),
      'the call in llm_calls',
    );
    expect(row).toEqual(expected);
  });
});

/** Cost and calls by tenant, user, session and property, over hours the rollup has built (it holds none of these). */
describe('analytics by who and what', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let api: TestApi;
  const HOUR = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
  // tenant, user, session, feature, cost
  const CALLS: [string, string, string, string, string][] = [
    ['acme', 'u-1', 'sess-a', 'search', '0.001'],
    ['acme', 'u-1', 'sess-a', 'search', '0.002'],
    ['acme', 'u-2', 'sess-b', 'chat', '0.004'],
    ['globex', 'u-3', 'sess-c', 'chat', '0.008'],
  ];
  beforeAll(async () => {
    ({ client, collector } = await collectorOnTestClickHouse());
    api = await createTestApi();
    const spanOf = serviceSpans('tenant-svc');
    const spans = CALLS.map(([tenant, user, session, feature, cost]) =>
      spanOf({
        ...CALL,
        'gen_ai.prompt.name': 'by-tenant',
        'user.id': user,
        'session.id': session,
        'promptscope.tenant': tenant,
        'promptscope.property.feature': feature,
        'gen_ai.usage.cost.amount': cost,
        'gen_ai.usage.cost.currency': 'USD',
      }),
    );
    // Three hours ago, a second apart, in the order listed: a closed hour the rollup builds.
    placeOneSecondApart(spans, HOUR + 600_000);
    await sendCalls(collector.url, client, spans, "prompt_name = 'by-tenant'", 4);
    await buildRollup(client, { closeAfterMs: 0, quietMs: 0, maxHoursPerRound: 10 });
  });
  afterAll(async () => {
    await collector.stop();
    await api.close();
  });

  const usage = async (query: string) => {
    const from = HOUR - 3_600_000;
    const res = await api.call(
      'GET',
      `/api/v1/analytics/usage?from=${from}&to=${HOUR + 2 * 3_600_000}&template=by-tenant&figures=calls,cost&${query}`,
      { key: api.keys.telemetry },
    );
    expect(res.status).toBe(200);
    return res.body.rows as Record<string, unknown>[];
  };

  it.each([
    [
      'group_by=tenant',
      [
        { tenant: 'acme', calls: 3, cost: '0.007' },
        { tenant: 'globex', calls: 1, cost: '0.008' },
      ],
    ],
    [
      'group_by=user&tenant=acme',
      [
        { user: 'u-1', calls: 2, cost: '0.003' },
        { user: 'u-2', calls: 1, cost: '0.004' },
      ],
    ],
    ['group_by=session&user=u-1', [{ session: 'sess-a', calls: 2, cost: '0.003' }]],
    [
      'group_by=property.feature',
      [
        { 'property.feature': 'chat', calls: 2, cost: '0.012' },
        { 'property.feature': 'search', calls: 2, cost: '0.003' },
      ],
    ],
    [
      'property.feature=chat&group_by=tenant',
      [
        { tenant: 'acme', calls: 1, cost: '0.004' },
        { tenant: 'globex', calls: 1, cost: '0.008' },
      ],
    ],
    [
      'group_by=tenant,template&step=hour',
      [
        {
          bucket: new Date(HOUR).toISOString().replace('.000', ''),
          tenant: 'acme',
          template: 'by-tenant',
          calls: 3,
          cost: '0.007',
        },
        {
          bucket: new Date(HOUR).toISOString().replace('.000', ''),
          tenant: 'globex',
          template: 'by-tenant',
          calls: 1,
          cost: '0.008',
        },
      ],
    ],
  ])('%s: read from llm_calls, every hour, exact', async (query, expected) => {
    expect(await usage(query)).toEqual(expected);
  });

  it('answers a top N: the users who cost most, largest first', async () => {
    expect(await usage('group_by=user&order_by=cost&limit=2')).toEqual([
      { user: 'u-3', calls: 1, cost: '0.008' },
      { user: 'u-2', calls: 1, cost: '0.004' },
    ]);
  });

  it("the Grafana overview's cost by tenant, user and property are the API's top N, the tenant variable filtering them", async () => {
    const board = overviewDashboard();
    const sqlOf = (title: string) =>
      (
        board.panels!.find((p) => 'title' in p && p.title === title) as unknown as {
          targets: { rawSql: string }[];
        }
      ).targets[0]!.rawSql;
    const window = { fromMs: HOUR - 3_600_000, toMs: HOUR + 2 * 3_600_000, intervalSeconds: 60 };
    for (const [tenant, query] of [
      ['all', ''],
      [['acme'], '&tenant=acme'],
    ] as const) {
      const variables = dashboardVariables(board, { tenant: tenant === 'all' ? 'all' : [...tenant] });
      for (const [title, key, column] of [
        ['Cost by tenant (top 20)', 'tenant', 'tenant'],
        ['Cost by user (top 20)', 'user', 'user'],
        ['Cost by property (top 20)', 'property.feature', 'value'],
      ] as const) {
        const panel = await runQuery<Record<string, string | number>>(client, {
          sql: expandGrafanaSql(sqlOf(title), { ...window, variables }),
          params: {},
        });
        const res = await api.call(
          'GET',
          `/api/v1/analytics/usage?from=${window.fromMs}&to=${window.toMs}&group_by=${key}&figures=calls,cost&order_by=cost&limit=20${query}`,
          { key: api.keys.telemetry },
        );
        expect(
          panel.map((r) => [r[column], Number(r.calls), Number(r.cost)]),
          `${title}, tenant ${tenant}`,
        ).toEqual(
          res.body.rows.map((r: Record<string, string | number>) => [r[key], r.calls, Number(r.cost)]),
        );
      }
    }
  });

  it.each([
    ['tenant=acme', 3, '0.007'],
    ['user=u-1', 2, '0.003'],
    ['session=sess-c', 1, '0.008'],
    ['tenant=acme&user=u-3', 0, undefined],
  ] as const)(
    "the specification's cost-by-template report for %s counts only those calls",
    async (who, executions, cost) => {
      const res = await api.call(
        'GET',
        `/api/v1/analytics/reports/cost-by-template?to=${HOUR + 2 * 3_600_000}&window=6h&template=by-tenant&${who}`,
        { key: api.keys.telemetry },
      );
      expect(res.status).toBe(200);
      const rows = res.body.rows as { template_name: string; executions: number; total_cost_usd: string }[];
      expect(rows.map((r) => [r.executions, r.total_cost_usd])).toEqual(
        executions ? [[executions, cost]] : [],
      );
    },
  );

  it('lists the calls of a session in the order they happened, with who and what', async () => {
    const res = await api.call('GET', '/api/v1/executions?session=sess-a&order=asc', {
      key: api.keys.telemetry,
    });
    expect(res.status).toBe(200);
    const calls = res.body.executions as {
      timestamp: string;
      cost: string;
      user_id: string;
      tenant: string;
      properties: Record<string, string>;
    }[];
    expect(calls.map((c) => [c.cost, c.user_id, c.tenant, c.properties])).toEqual([
      ['0.001', 'u-1', 'acme', { feature: 'search' }],
      ['0.002', 'u-1', 'acme', { feature: 'search' }],
    ]);
    expect(calls[0]!.timestamp <= calls[1]!.timestamp).toBe(true);
  });

  it.each(['6h', 'today'])(
    'a rule over a %s window grouped by tenant fires for the tenant over its budget only',
    async (window) => {
      const parsed = parseRuleFile(
        'budget.yaml',
        `groups:
  - name: budgets
    rules:
      - alert: TenantOverBudget
        figure: { name: cost, window: ${window}, by: [tenant], where: { property.feature: chat } }
        condition: '> 0.0075'
`,
      );
      if (!('groups' in parsed)) throw new Error(JSON.stringify(parsed.problems));
      const rule = parsed.groups[0]!.rules[0]!;
      const at = HOUR + 2 * 3_600_000;
      const { sql, params } = ruleSql(
        rule.query as Extract<typeof rule.query, { kind: 'figure' | 'sql' }>,
        at,
      );
      const found = await (
        await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
      ).json<{
        tenant: string;
        value: string;
      }>();
      const over = found.filter((r) => Number(r.value) > 0.0075).map((r) => r.tenant);
      // "today" holds the calls unless they were made yesterday (UTC): then nothing, never an error.
      const sameDay = new Date(HOUR).getUTCDate() === new Date(at).getUTCDate();
      expect(over).toEqual(window === 'today' && !sameDay ? [] : ['globex']);
    },
  );

  it.each([
    ['group_by=property.my feature', 'group_by'],
    ['property.a%20b=x', 'property.a b'],
  ])('%s is refused, naming the parameter', async (query, field) => {
    const res = await api.call('GET', `/api/v1/analytics/usage?${query}`, { key: api.keys.telemetry });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields[0].field).toBe(field);
  });
});
