// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana's ${variable} syntax in provisioning and dashboards
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dashboard, Panel } from '@grafana/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunningCollector } from '../collector/collector.ts';
import { runQuery } from '../src/analytics/figures.ts';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import { createTestApi, type TestApi, testClickHouse } from '../test/support/api.ts';
import {
  migrateClickHouse,
  recordServiceBudget,
  sendCalls,
  spanFactory,
  testCollector,
} from '../test/support/collector.ts';
import { dashboardVariables, expandGrafanaSql } from '../test/support/grafana-macros.ts';
import { DASHBOARDS } from './build.ts';

const DIR = import.meta.dirname;
const NOW = Date.now();
const START = NOW - 2 * 3_600_000;

/** Known calls over two templates, versions and models. */
const CALLS = [
  { template: 'dash-a', version: '1', model: 'gemini-2.5-flash', ms: 100, cost: '0.001' },
  { template: 'dash-a', version: '1', model: 'gemini-2.5-flash', ms: 300, cost: '0.003', error: true },
  { template: 'dash-a', version: '2', model: 'gemini-2.5-pro', ms: 200, cost: '0.02' },
  { template: 'dash-b', version: '1', model: 'gemini-2.5-flash', ms: 50, cost: '0.0005' },
  { template: 'dash-b', version: '1', model: 'mystery', ms: 70 },
];

function committed(file: string): Dashboard {
  return JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Dashboard;
}

function panels(d: Dashboard): Panel[] {
  return (d.panels ?? []) as Panel[];
}

/** The dashboard's query variables (not the datasource chooser). */
function queryVariables(d: Dashboard) {
  return d.templating!.list!.filter((v) => v.type === 'query');
}

function sqlOf(p: Panel): string {
  return (p.targets![0] as { rawSql: string }).rawSql;
}

describe('Grafana dashboards (dashboards/)', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let api: TestApi;
  const range = { fromMs: START - 60_000, toMs: NOW + 60_000 };

  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    collector = await testCollector(client);
    api = await createTestApi();
    const factory = spanFactory('dash-svc');
    const spans = [];
    for (const [i, c] of CALLS.entries()) {
      spans.push(
        await factory.span({
          name: `generate_content ${c.model}`,
          startMs: START + i * 60_000,
          durationMs: c.ms,
          error: c.error ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.request.model': c.model,
            'gen_ai.prompt.name': c.template,
            'gen_ai.prompt.version': c.version,
            'gen_ai.usage.input_tokens': 100,
            'gen_ai.usage.output_tokens': 10,
            ...(c.cost ? { 'gen_ai.usage.cost.amount': c.cost } : {}),
          },
        }),
      );
    }
    await sendCalls(collector.url, client, spans, "prompt_name LIKE 'dash-%'", 5, 'protobuf');
    // A budget's state as the scheduler records it after an evaluation, for the budgets panel.
    await recordServiceBudget(client, 'dash-svc');
    // An A/B split of dash-ab's production label: variant 1 fails 2 of 40 calls, variant 2 fails 11 of 40.
    const ab = [];
    for (let i = 0; i < 80; i++) {
      const variant = i < 40 ? '1' : '2';
      ab.push(
        await factory.span({
          name: 'generate_content gemini-2.5-flash',
          startMs: START + 30_000 + i * 1000,
          durationMs: 100 + (i % 10),
          error: (variant === '1' ? i % 40 < 2 : i % 40 < 11) ? 'boom' : undefined,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.request.model': 'gemini-2.5-flash',
            'gen_ai.prompt.name': 'dash-ab',
            'gen_ai.prompt.version': variant,
            'promptscope.prompt.label': 'production',
            'promptscope.prompt.variant': variant,
            'gen_ai.usage.input_tokens': 100,
            'gen_ai.usage.output_tokens': 10,
            'gen_ai.usage.cost.amount': '0.001',
          },
        }),
      );
    }
    await sendCalls(collector.url, client, ab, "prompt_name = 'dash-ab'", 80, 'protobuf');
  });
  afterAll(async () => {
    await collector.stop();
    await api.close();
  });

  it.each(Object.keys(DASHBOARDS))(
    '%s is what dashboards/build.ts generates (npm run dashboards)',
    (file) => {
      expect(committed(file)).toEqual(
        JSON.parse(JSON.stringify(DASHBOARDS[file as keyof typeof DASHBOARDS]())),
      );
    },
  );

  it.each(Object.keys(DASHBOARDS))(
    '%s is a well-formed provisioned dashboard on the provisioned datasource',
    (file) => {
      const d = committed(file);
      const datasource = parse(
        readFileSync(path.join(DIR, 'provisioning/datasources/promptscope-clickhouse.yaml'), 'utf8'),
      ) as { datasources: { uid: string; type: string }[] };
      const uid = datasource.datasources[0]!.uid;
      expect(d.uid!.length).toBeGreaterThanOrEqual(8);
      expect(d.uid!.length).toBeLessThanOrEqual(40);
      expect(d.id ?? null).toBeNull();
      const ps = panels(d);
      expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
      // Panels query the dashboard's datasource variable, which defaults to the provisioned datasource: provisioned,
      // the dashboards run as they are; imported through Grafana's UI, the user picks a ClickHouse datasource.
      const [chooser, ...queries] = d.templating!.list!;
      expect(chooser).toMatchObject({
        type: 'datasource',
        name: 'datasource',
        query: 'grafana-clickhouse-datasource',
        current: { value: uid },
      });
      const chosen = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' };
      for (const p of ps) {
        const g = p.gridPos!;
        expect(g.x + g.w).toBeLessThanOrEqual(24);
        expect(p.datasource).toEqual(chosen);
        expect(p.targets).toHaveLength(1);
        expect(p.targets![0]).toMatchObject({ datasource: chosen, editorType: 'sql', refId: 'A' });
      }
      for (const v of queries.filter((q) => q.type === 'query')) expect(v.datasource).toEqual(chosen);
    },
  );

  it.each(Object.keys(DASHBOARDS))(
    'every panel and variable of %s expands like the plugin and runs',
    async (file) => {
      const d = committed(file);
      const variables = dashboardVariables(d, { template: file === 'template.json' ? ['dash-a'] : 'all' });
      for (const p of panels(d)) {
        const sql = expandGrafanaSql(sqlOf(p), { ...range, intervalSeconds: 60, variables });
        await expect(runQuery(client, { sql, params: {} }), `${file}: ${p.title}`).resolves.toBeInstanceOf(
          Array,
        );
      }
      for (const v of queryVariables(d)) {
        const sql = expandGrafanaSql((v.query as { rawSql: string }).rawSql, {
          ...range,
          intervalSeconds: 60,
          variables,
        });
        await expect(runQuery(client, { sql, params: {} })).resolves.toBeInstanceOf(Array);
      }
    },
  );

  it('provisions the datasource over the native and the HTTP interface alike, with the trace view on otel_traces, named as promptscope and otelcol.yaml name ClickHouse', () => {
    const read = (file: string) => readFileSync(path.join(DIR, file), 'utf8');
    const sources = [
      'provisioning/datasources/promptscope-clickhouse.yaml',
      'provisioning/datasources-http/promptscope-clickhouse.yaml',
    ].map(
      (f) =>
        (
          parse(read(f)) as {
            datasources: { uid: string; jsonData: Record<string, unknown>; secureJsonData: unknown }[];
          }
        ).datasources[0]!,
    );
    expect(sources.map((s) => [s.uid, s.jsonData.protocol, s.jsonData.port])).toEqual([
      ['promptscope-clickhouse', 'native', 9000],
      ['promptscope-clickhouse', 'http', 8123],
    ]);
    for (const s of sources) {
      expect(s.jsonData).toMatchObject({
        host: '${CLICKHOUSE_HOST}',
        username: '${CLICKHOUSE_USER}',
        defaultDatabase: '${CLICKHOUSE_DATABASE}',
        traces: { defaultDatabase: '${CLICKHOUSE_DATABASE}', defaultTable: 'otel_traces', otelEnabled: true },
      });
      expect(s.secureJsonData).toEqual({ password: '${CLICKHOUSE_PASSWORD}' });
    }
    // One set of names for ClickHouse's connection everywhere it is configured.
    const names = (text: string) => [...new Set(text.match(/CLICKHOUSE_[A-Z]+/g))].sort();
    const documented = [
      'CLICKHOUSE_DATABASE',
      'CLICKHOUSE_HOST',
      'CLICKHOUSE_PASSWORD',
      'CLICKHOUSE_URL',
      'CLICKHOUSE_USER',
    ];
    for (const file of [
      'provisioning/datasources/promptscope-clickhouse.yaml',
      'provisioning/datasources-http/promptscope-clickhouse.yaml',
      '../collector/otelcol.yaml',
    ])
      for (const n of names(read(file))) expect(documented).toContain(n);
    expect(names(read('../collector/otelcol.yaml'))).toEqual([
      'CLICKHOUSE_DATABASE',
      'CLICKHOUSE_PASSWORD',
      'CLICKHOUSE_URL',
      'CLICKHOUSE_USER',
    ]);
    const readme = read('../README.md');
    for (const n of documented) expect(readme).toContain(`\`${n}\``);
    // The trace view's data link appears on any column named trace_id: the most expensive calls have one.
    const top = panels(committed('overview.json')).find((p) => p.title === 'Most expensive calls')!;
    expect(sqlOf(top)).toMatch(/\btrace_id\b/);
  });

  it('shows the same numbers as the API for the same range and filters', async () => {
    const query = `from=${range.fromMs}&to=${range.toMs}`;
    const usage = async (extra: string) =>
      (await api.call('GET', `/api/v1/analytics/usage?${query}&${extra}`, { key: api.keys.telemetry })).body
        .rows;
    const panel = async (file: string, title: string, variables: Record<string, string[] | 'all'>) => {
      const p = panels(committed(file)).find((x) => x.title === title)!;
      const sql = expandGrafanaSql(sqlOf(p), { ...range, intervalSeconds: 60, variables });
      return runQuery<Record<string, unknown>>(client, { sql, params: {} });
    };
    const everything = { template: 'all' as const, model: 'all' as const, service: 'all' as const };
    const [totals] = await usage('template=dash-a');
    const [cost] = await panel('overview.json', 'Cost (USD)', { ...everything, template: ['dash-a'] });
    expect(cost!.cost).toBe(Number(totals.cost));
    const [p95] = await panel('overview.json', 'P95 latency', { ...everything, template: ['dash-a'] });
    expect(p95!.p95_ms).toBe(totals.p95_ms);
    const [success] = await panel('overview.json', 'Success rate', { ...everything, template: ['dash-a'] });
    expect(success!.success_rate).toBe(totals.success_rate);

    const byTemplate = (await usage('group_by=template&model=gemini-2.5-flash')).filter(
      (r: { template: string }) => r.template.startsWith('dash-'),
    );
    const table = await panel('overview.json', 'Cost by template', {
      ...everything,
      model: ['gemini-2.5-flash'],
    });
    expect(table.filter((r) => String(r.template).startsWith('dash-'))).toEqual(
      byTemplate.map(
        (r: {
          template: string;
          calls: number;
          cost: string;
          cost_per_call: string;
          unpriced_calls: number;
        }) => ({
          template: r.template,
          calls: r.calls,
          cost: Number(r.cost),
          cost_per_call: Number(r.cost_per_call),
          unpriced_calls: r.unpriced_calls,
        }),
      ),
    );

    const versions = await usage('group_by=version&template=dash-a');
    const compared = await panel('template.json', 'Versions compared', {
      template: ['dash-a'],
      version: 'all',
      model: 'all',
    });
    expect(compared.map((r) => [r.version, r.calls, r.p95_ms, r.cost])).toEqual(
      versions.map((r: { version: string; calls: number; p95_ms: number; cost: string }) => [
        r.version,
        r.calls,
        r.p95_ms,
        Number(r.cost),
      ]),
    );
  });

  it('the A/B panel shows the API’s comparison: rates, intervals, and the significance of the error-rate difference', async () => {
    const api_ = (
      await api.call(
        'GET',
        `/api/v1/analytics/ab?template=dash-ab&label=production&from=${range.fromMs}&to=${range.toMs}`,
        { key: api.keys.telemetry },
      )
    ).body as {
      variants: {
        variant: string;
        calls: number;
        error_rate: number;
        error_rate_ci95: [number, number];
        p95_ms: number;
        vs_control?: { error_rate: { difference: number; p_value: number; significant: boolean } };
      }[];
    };
    const p = panels(committed('template.json')).find((x) => x.title?.startsWith('A/B'))!;
    const sql = expandGrafanaSql(sqlOf(p), {
      ...range,
      intervalSeconds: 60,
      variables: { template: ['dash-ab'], version: 'all', model: 'all' },
    });
    const rows = await runQuery<Record<string, number | string | null>>(client, { sql, params: {} });
    expect(rows.map((r) => [r.label, r.variant, r.calls])).toEqual([
      ['production', '1', 40],
      ['production', '2', 40],
    ]);
    for (const [i, v] of api_.variants.entries()) {
      const row = rows[i]!;
      expect(row.error_rate).toBe(v.error_rate);
      expect([row.error_rate_ci95_low, row.error_rate_ci95_high]).toEqual(v.error_rate_ci95);
      expect(row.p95_ms).toBe(v.p95_ms);
      if (!v.vs_control) {
        expect(row.error_rate_p_value).toBeNull();
        continue;
      }
      expect(row.error_rate_vs_control).toBe(v.vs_control.error_rate.difference);
      // erfc in ClickHouse, a 1e-7 approximation in the API: the same p-value to 5 places.
      expect(Number(row.error_rate_p_value)).toBeCloseTo(v.vs_control.error_rate.p_value, 5);
      expect(Boolean(row.significant)).toBe(v.vs_control.error_rate.significant);
    }
    // 2/40 against 11/40: significant at 0.05.
    expect(api_.variants[1]!.vs_control!.error_rate.significant).toBe(true);
  });
});
