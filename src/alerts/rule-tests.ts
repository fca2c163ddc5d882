import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { DIMENSIONS } from '../analytics/figures.ts';
import { parseDuration } from '../platform/duration.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { forgetBudgetStates } from './budgets.ts';
import { evaluateRule } from './evaluator.ts';
import type { Labels } from './labels.ts';
import { MetricHistory } from './metric-history.ts';
import { loadRuleFiles, type RuleGroup } from './rules.ts';
import type { Instance } from './state-machine.ts';
import type { RuleStatus } from './state-store.ts';

/**
 * Unit tests for alert rules, like `promtool test rules`: a test file names rule files, input calls written
 * compactly (template, model, tenant, calls per minute, latency, error share over time ranges) and collector metrics in
 * Prometheus's expanding notation, and at evaluation times the firing alerts expected (labels and annotations).
 * The rules run on a real ClickHouse; every rule a case asks about is evaluated at each evaluation interval from the
 * start, as the scheduler would. Only firing alerts are compared (pending is "not firing yet"), as promtool does.
 */

export interface CallInput {
  template?: string;
  version?: string;
  label?: string;
  variant?: string;
  model?: string;
  provider?: string;
  service?: string;
  environment?: string;
  /** Offsets from the test's start: the calls are spread evenly over [from, to). */
  from: string;
  to: string;
  per_minute: number;
  latency_ms?: number;
  /** Share of the calls that fail (0…1), spread evenly. */
  error_share?: number;
  error_type?: string;
  /** Cost of each call (decimal text); `unpriced: true` for calls with no price. */
  cost_usd?: string;
  unpriced?: boolean;
  input_tokens?: number;
  output_tokens?: number;
  test_run?: boolean;
  /** Who the calls are for (the sdk's withAttribution). */
  tenant?: string;
  user?: string;
  session?: string;
  properties?: Record<string, string>;
}

interface TestFile {
  rule_files: string[];
  evaluation_interval?: string;
  tests: TestCase[];
}

interface TestCase {
  name?: string;
  start?: string;
  interval?: string;
  input_calls?: CallInput[];
  input_metrics?: { metric: string; labels?: Labels; values: string }[];
  alert_rule_test?: {
    eval_time: string;
    alertname: string;
    exp_alerts?: { exp_labels?: Labels; exp_annotations?: Labels }[];
  }[];
}

export interface TestResult {
  file: string;
  name: string;
  failures: string[];
}

const DEFAULT_START = '2026-01-05T00:00:00Z';

/** Runs every test in the files; each result lists what did not match (empty = passed). */
export async function runRuleTestFiles(
  files: readonly string[],
  clickhouse: ClickHouseClient,
  filter?: RegExp,
): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const file of files) {
    let spec: TestFile;
    let groups: RuleGroup[];
    try {
      spec = parse(await fs.readFile(file, 'utf8')) as TestFile;
      if (!Array.isArray(spec?.rule_files) || !Array.isArray(spec.tests))
        throw new Error('a test file has rule_files and tests lists');
      groups = await loadRuleFiles(spec.rule_files.map((f) => path.resolve(path.dirname(file), f)));
    } catch (error) {
      results.push({ file, name: '(file)', failures: [(error as Error).message] });
      continue;
    }
    for (const [i, test] of spec.tests.entries()) {
      const name = test.name ?? `tests[${i}]`;
      if (filter && !filter.test(name)) continue;
      try {
        results.push({ file, name, failures: await runTest(test, groups, spec, clickhouse) });
      } catch (error) {
        results.push({ file, name, failures: [(error as Error).message] });
      }
    }
  }
  return results;
}

async function runTest(
  test: TestCase,
  groups: RuleGroup[],
  spec: TestFile,
  clickhouse: ClickHouseClient,
): Promise<string[]> {
  const start = Date.parse(test.start ?? DEFAULT_START);
  if (Number.isNaN(start)) throw new Error(`start: '${test.start}' is not an RFC 3339 time`);
  const interval = need(test.interval ?? spec.evaluation_interval ?? '1m', 'interval');
  await clickhouse.command({ query: 'TRUNCATE TABLE IF EXISTS llm_calls' });
  forgetBudgetStates();
  const rows = (test.input_calls ?? []).flatMap((c, i) => callRows(c, start, i));
  if (rows.length) await clickhouse.insert({ table: 'llm_calls', values: rows, format: 'JSONEachRow' });

  const cases = test.alert_rule_test ?? [];
  const evalTimes = cases.map((c) => need(c.eval_time, 'eval_time'));
  for (const [i, t] of evalTimes.entries())
    if (t % interval !== 0)
      throw new Error(
        `alert_rule_test[${i}].eval_time ${cases[i]!.eval_time} is not a multiple of the interval`,
      );
  const end = Math.max(0, ...evalTimes);
  const metrics = new MetricHistory(Number.MAX_SAFE_INTEGER);
  for (const m of test.input_metrics ?? []) {
    expandSeries(m.values).forEach((v, step) => {
      if (v !== undefined)
        metrics.record(start + step * interval, [{ name: m.metric, labels: m.labels ?? {}, value: v }]);
    });
  }
  const rules = groups.flatMap((g) => g.rules.map((rule) => ({ rule, group: g })));
  // Only the rules a case asks about: a rule's alerts depend on its own state alone, so the others change nothing.
  const asked = new Set(cases.map((c) => c.alertname));
  const evaluated = rules.filter((r) => asked.has(r.rule.alert));
  const state = new Map<string, Map<string, Instance>>();
  const statuses = new Map<string, RuleStatus>();
  const failures: string[] = [];
  for (let t = 0; t <= end; t += interval) {
    for (const { rule, group } of evaluated) {
      const outcome = await evaluateRule(
        rule,
        group,
        start + t,
        state.get(rule.key) ?? new Map(),
        statuses.get(rule.key),
        {
          clickhouse,
          metrics,
        },
      );
      if (outcome.instances) state.set(rule.key, outcome.instances);
      statuses.set(rule.key, outcome.status);
    }
    for (const [i, c] of cases.entries()) {
      if (evalTimes[i] !== t) continue;
      const matching = rules.filter((r) => r.rule.alert === c.alertname);
      if (matching.length === 0) {
        failures.push(`eval_time ${c.eval_time}: no rule named ${c.alertname}`);
        continue;
      }
      for (const { rule } of matching) {
        const status = statuses.get(rule.key);
        if (status?.error) failures.push(`eval_time ${c.eval_time}: ${rule.key} failed: ${status.error}`);
      }
      const firing = matching
        .flatMap((r) => [...(state.get(r.rule.key)?.values() ?? [])])
        .filter((a) => a.state === 'firing')
        .map((a) => ({ labels: withoutAlertname(a.labels), annotations: a.annotations }));
      const expected = (c.exp_alerts ?? []).map((e) => ({
        labels: e.exp_labels ?? {},
        annotations: e.exp_annotations ?? {},
      }));
      const got = sortAlerts(firing);
      const want = sortAlerts(expected);
      if (JSON.stringify(got) !== JSON.stringify(want))
        failures.push(
          `eval_time ${c.eval_time}, alertname ${c.alertname}:\n    expected ${JSON.stringify(want)}\n    got      ${JSON.stringify(got)}`,
        );
    }
  }
  return failures;
}

function withoutAlertname(labels: Labels): Labels {
  const { alertname: _, ...rest } = labels;
  return rest;
}

function sortAlerts(alerts: { labels: Labels; annotations: Labels }[]) {
  const sorted = (o: Labels) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return alerts
    .map((a) => ({ labels: sorted(a.labels), annotations: sorted(a.annotations) }))
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

function need(text: string, field: string): number {
  const ms = parseDuration(String(text));
  if (ms === undefined) throw new Error(`${field}: '${text}' is not a duration like 30s, 5m or 1h`);
  return ms;
}

/** The llm_calls rows of one input line: per_minute calls spread evenly over [from, to). */
export function callRows(c: CallInput, start: number, line: number): Record<string, unknown>[] {
  const from = start + need(c.from, 'input_calls.from');
  const to = start + need(c.to, 'input_calls.to');
  const count = Math.round(((to - from) / 60_000) * c.per_minute);
  const share = c.error_share ?? 0;
  const rows: Record<string, unknown>[] = [];
  // One random half per input line, the span id the other: unique ids without 16 random bytes a row.
  const tracePrefix = randomBytes(8).toString('hex');
  const dims: Record<string, string> = {};
  for (const [name, column] of Object.entries(DIMENSIONS))
    dims[column] = String((c as unknown as Record<string, unknown>)[name] ?? '');
  for (let i = 0; i < count; i++) {
    const spanId = `${line.toString(16).padStart(4, '0')}${i.toString(16).padStart(12, '0')}`;
    const at = from + Math.floor(((to - from) * i) / count);
    const failed = Math.floor((i + 1) * share) > Math.floor(i * share);
    rows.push({
      ...dims,
      request_model: c.model ?? 'gemini-2.5-flash',
      provider: c.provider ?? 'gcp.gemini',
      service_name: c.service ?? 'test-service',
      timestamp: nanos(at),
      trace_id: `${tracePrefix}${spanId}`,
      span_id: spanId,
      operation: 'generate_content',
      response_model: c.model ?? 'gemini-2.5-flash',
      input_tokens: c.input_tokens ?? 100,
      output_tokens: c.output_tokens ?? 50,
      cost_amount: c.unpriced ? null : (c.cost_usd ?? '0.0001'),
      cost_currency: c.unpriced ? '' : 'USD',
      cost_status: c.unpriced ? 'unpriced' : 'priced',
      duration_ns: String(BigInt(Math.round((c.latency_ms ?? 500) * 1e6))),
      status_code: failed ? 'Error' : 'Unset',
      success: failed ? 0 : 1,
      error_type: failed ? (c.error_type ?? '500') : '',
      test_run: c.test_run ? 1 : 0,
      tenant: c.tenant ?? '',
      user_id: c.user ?? '',
      session_id: c.session ?? '',
      properties: c.properties ?? {},
    });
  }
  return rows;
}

function nanos(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}000000`;
}

/** Prometheus's expanding notation: `1+2x3` → 1 3 5 7, `5x2` → 5 5 5, `_` → no sample, `_x3` → three gaps. */
export function expandSeries(values: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const token of values.trim().split(/\s+/)) {
    if (token === '') continue;
    const gap = /^_(?:x(\d+))?$/.exec(token);
    if (gap) {
      for (let i = 0; i < (gap[1] ? Number(gap[1]) : 1); i++) out.push(undefined);
      continue;
    }
    const m = /^(-?\d+(?:\.\d+)?)(?:([+-]\d+(?:\.\d+)?)?x(\d+))?$/.exec(token);
    if (!m) throw new Error(`'${token}' is not in expanding notation (a, a+bxn, axn, _)`);
    const a = Number(m[1]);
    if (m[3] === undefined) {
      out.push(a);
      continue;
    }
    const b = Number(m[2] ?? 0);
    for (let i = 0; i <= Number(m[3]); i++) out.push(a + i * b);
  }
  return out;
}
