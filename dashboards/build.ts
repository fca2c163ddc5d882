/**
 * The Grafana dashboards, as typed code: `npm run dashboards` writes dashboards/*.json from here, and a test fails
 * when the committed files differ. Every panel's SQL comes from src/analytics (figures.ts through grafana.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Dashboard, Panel, VariableModel } from '@grafana/schema';
import type { Dimension, UsageFigure } from '../src/analytics/figures.ts';
import {
  DATASOURCE,
  type GrafanaBucket,
  grafanaAbSql,
  grafanaBudgetsSql,
  grafanaPropertySql,
  grafanaTenantVariableSql,
  grafanaTopCallsSql,
  grafanaUsageSql,
  grafanaVariableSql,
  grafanaWhoSql,
  PROVISIONED_DATASOURCE_UID,
} from '../src/analytics/grafana.ts';

const TIME_SERIES = 0;
const TABLE = 1;

function target(rawSql: string, format: number) {
  return {
    refId: 'A',
    datasource: DATASOURCE,
    editorType: 'sql',
    format,
    queryType: format === TABLE ? 'table' : 'timeseries',
    rawSql,
  };
}

interface Place {
  x: number;
  y: number;
  w: number;
  h: number;
}

let nextId = 1;

function panel(
  type: string,
  title: string,
  place: Place,
  rawSql: string,
  format: number,
  unit?: string,
): Panel {
  return {
    id: nextId++,
    type,
    title,
    gridPos: place,
    datasource: DATASOURCE,
    targets: [target(rawSql, format)],
    fieldConfig: { defaults: unit ? { unit } : {}, overrides: [] },
    options: {},
  };
}

function usagePanel(
  type: 'timeseries' | 'stat' | 'table' | 'barchart',
  title: string,
  place: Place,
  q: { figures: UsageFigure[]; bucket?: GrafanaBucket; groupBy?: Dimension[]; filters: Dimension[] },
  unit?: string,
): Panel {
  const p = panel(type, title, place, grafanaUsageSql(q), q.bucket ? TIME_SERIES : TABLE, unit);
  // Grafana picks the interval from the range and the points wanted: a month in 360 points is 2-hour buckets.
  return q.bucket === 'interval' ? { ...p, maxDataPoints: MAX_DATA_POINTS } : p;
}

/** Points per series of the charts bucketed by Grafana's interval (Grafana's default is the panel's width). */
export const MAX_DATA_POINTS = 360;

function queryVariable(d: Dimension, o: { multi: boolean; filters?: Dimension[] }): VariableModel {
  return {
    type: 'query',
    name: d,
    label: d,
    datasource: DATASOURCE,
    query: { editorType: 'sql', rawSql: grafanaVariableSql(d, o.filters) },
    refresh: 2,
    multi: o.multi,
    includeAll: o.multi,
    ...(o.multi ? { current: { text: 'All', value: '$__all' } } : {}),
    options: [],
  } satisfies VariableModel;
}

/** The datasource the panels use: any ClickHouse datasource, the provisioned one by default. */
const DATASOURCE_VARIABLE = {
  type: 'datasource',
  name: 'datasource',
  label: 'ClickHouse',
  query: DATASOURCE.type,
  current: { text: 'promptscope ClickHouse', value: PROVISIONED_DATASOURCE_UID },
  refresh: 1,
  regex: '',
  options: [],
} satisfies VariableModel;

function dashboard(uid: string, title: string, variables: VariableModel[], panels: Panel[]): Dashboard {
  return {
    uid,
    title,
    tags: ['promptscope', 'llm'],
    timezone: 'utc',
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    templating: { list: [DATASOURCE_VARIABLE, ...variables] },
    annotations: { list: [] },
    panels,
  } satisfies Dashboard;
}

const OVERVIEW_FILTERS: Dimension[] = ['template', 'model', 'service'];

/** Who: the tenant filter of the who panels, and the property whose values one of them breaks cost down by. */
const WHO_VARIABLES: VariableModel[] = [
  {
    type: 'query',
    name: 'tenant',
    label: 'tenant (who panels)',
    datasource: DATASOURCE,
    query: { editorType: 'sql', rawSql: grafanaTenantVariableSql(OVERVIEW_FILTERS) },
    refresh: 2,
    multi: true,
    includeAll: true,
    current: { text: 'All', value: '$__all' },
    options: [],
  },
  {
    type: 'textbox',
    name: 'property',
    label: 'property',
    query: 'feature',
    current: { text: 'feature', value: 'feature' },
    options: [],
  },
];

export function overviewDashboard(): Dashboard {
  nextId = 1;
  const f = OVERVIEW_FILTERS;
  return dashboard(
    'promptscope-overview',
    'promptscope — LLM overview',
    [...OVERVIEW_FILTERS.map((d) => queryVariable(d, { multi: true })), ...WHO_VARIABLES],
    [
      usagePanel('stat', 'Calls', { x: 0, y: 0, w: 4, h: 4 }, { figures: ['calls'], filters: f }, 'short'),
      usagePanel(
        'stat',
        'Cost (USD)',
        { x: 4, y: 0, w: 4, h: 4 },
        { figures: ['cost'], filters: f },
        'currencyUSD',
      ),
      usagePanel(
        'stat',
        'Success rate',
        { x: 8, y: 0, w: 4, h: 4 },
        { figures: ['success_rate'], filters: f },
        'percentunit',
      ),
      usagePanel(
        'stat',
        'P95 latency',
        { x: 12, y: 0, w: 4, h: 4 },
        { figures: ['p95_ms'], filters: f },
        'ms',
      ),
      usagePanel(
        'stat',
        'Unpriced share',
        { x: 16, y: 0, w: 4, h: 4 },
        { figures: ['unpriced_share'], filters: f },
        'percentunit',
      ),
      usagePanel(
        'stat',
        'Cost per 1k calls (USD)',
        { x: 20, y: 0, w: 4, h: 4 },
        { figures: ['cost_per_1k_calls'], filters: f },
        'currencyUSD',
      ),
      usagePanel(
        'timeseries',
        'Cost per day by template',
        { x: 0, y: 4, w: 12, h: 8 },
        { figures: ['cost'], bucket: 'day', groupBy: ['template'], filters: f },
        'currencyUSD',
      ),
      usagePanel(
        'table',
        'Cost by template',
        { x: 12, y: 4, w: 12, h: 8 },
        { figures: ['calls', 'cost', 'cost_per_call', 'unpriced_calls'], groupBy: ['template'], filters: f },
      ),
      usagePanel(
        'timeseries',
        'P95 latency by template',
        { x: 0, y: 12, w: 12, h: 8 },
        { figures: ['p95_ms'], bucket: 'interval', groupBy: ['template'], filters: f },
        'ms',
      ),
      usagePanel(
        'timeseries',
        'Success rate',
        { x: 12, y: 12, w: 12, h: 8 },
        { figures: ['success_rate'], bucket: 'interval', filters: f },
        'percentunit',
      ),
      usagePanel(
        'timeseries',
        'Error rate by hour',
        { x: 0, y: 20, w: 12, h: 8 },
        { figures: ['error_rate'], bucket: 'hour', filters: f },
        'percentunit',
      ),
      usagePanel(
        'timeseries',
        'Tokens by bucket',
        { x: 12, y: 20, w: 12, h: 8 },
        {
          figures: ['input_uncached_tokens', 'cache_read_tokens', 'output_tokens', 'thinking_tokens'],
          bucket: 'interval',
          filters: f,
        },
        'short',
      ),
      usagePanel(
        'timeseries',
        'Unpriced share',
        { x: 0, y: 28, w: 12, h: 8 },
        { figures: ['unpriced_share'], bucket: 'interval', filters: f },
        'percentunit',
      ),
      panel('table', 'Most expensive calls', { x: 12, y: 28, w: 12, h: 8 }, grafanaTopCallsSql(f), TABLE),
      panel(
        'table',
        'Cost by tenant (top 20)',
        { x: 0, y: 36, w: 12, h: 8 },
        grafanaWhoSql('tenant', f),
        TABLE,
        'currencyUSD',
      ),
      panel(
        'table',
        'Cost by user (top 20)',
        { x: 12, y: 36, w: 12, h: 8 },
        grafanaWhoSql('user', f),
        TABLE,
        'currencyUSD',
      ),
      panel(
        'table',
        'Cost by property (top 20)',
        { x: 0, y: 44, w: 12, h: 8 },
        grafanaPropertySql(f),
        TABLE,
        'currencyUSD',
      ),
      panel(
        'table',
        'Budgets (this period)',
        { x: 12, y: 44, w: 12, h: 8 },
        grafanaBudgetsSql(),
        TABLE,
        'currencyUSD',
      ),
    ],
  );
}

const TEMPLATE_FILTERS: Dimension[] = ['template', 'version', 'model'];

export function templateDashboard(): Dashboard {
  nextId = 1;
  const f = TEMPLATE_FILTERS;
  return dashboard(
    'promptscope-template',
    'promptscope — template drill-down',
    [
      queryVariable('template', { multi: false }),
      queryVariable('version', { multi: true, filters: ['template'] }),
      queryVariable('model', { multi: true, filters: ['template'] }),
    ],
    [
      usagePanel(
        'table',
        'Versions compared',
        { x: 0, y: 0, w: 24, h: 7 },
        {
          figures: [
            'calls',
            'success_rate',
            'error_rate',
            'p50_ms',
            'p95_ms',
            'p99_ms',
            'cost_per_call',
            'cost_per_success',
            'cost_per_1k_calls',
            'cost',
            'unpriced_calls',
          ],
          groupBy: ['version'],
          filters: f,
        },
      ),
      usagePanel(
        'timeseries',
        'P95 latency by version',
        { x: 0, y: 7, w: 12, h: 8 },
        { figures: ['p95_ms'], bucket: 'interval', groupBy: ['version'], filters: f },
        'ms',
      ),
      usagePanel(
        'timeseries',
        'Cost per day by version',
        { x: 12, y: 7, w: 12, h: 8 },
        { figures: ['cost'], bucket: 'day', groupBy: ['version'], filters: f },
        'currencyUSD',
      ),
      panel(
        'table',
        'A/B: variants of split labels (error rate vs the control: two-proportion z-test)',
        { x: 0, y: 15, w: 24, h: 7 },
        grafanaAbSql(f),
        TABLE,
      ),
      usagePanel(
        'timeseries',
        'Error rate by hour',
        { x: 0, y: 22, w: 12, h: 8 },
        { figures: ['error_rate'], bucket: 'hour', groupBy: ['version'], filters: f },
        'percentunit',
      ),
      usagePanel(
        'timeseries',
        'Tokens by bucket',
        { x: 12, y: 22, w: 12, h: 8 },
        {
          figures: ['input_uncached_tokens', 'cache_read_tokens', 'output_tokens', 'thinking_tokens'],
          bucket: 'interval',
          filters: f,
        },
        'short',
      ),
    ],
  );
}

export const DASHBOARDS = { 'overview.json': overviewDashboard, 'template.json': templateDashboard };

export function dashboardJson(build: () => Dashboard): string {
  return `${JSON.stringify(build(), null, 2)}\n`;
}

if (import.meta.main) {
  for (const [file, build] of Object.entries(DASHBOARDS)) {
    writeFileSync(path.join(import.meta.dirname, file), dashboardJson(build));
    process.stdout.write(`wrote dashboards/${file}\n`);
  }
}
