import fs from 'node:fs/promises';
import path from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { DIMENSION_NAMES, type Dimension, USAGE_FIGURES, type UsageFigure } from '../analytics/figures.ts';
import { parseDuration } from './duration.ts';
import type { Labels } from './labels.ts';
import { checkTemplate } from './templates.ts';

/**
 * Alert rules as code: YAML files shaped like Prometheus rule groups, with a ClickHouse query in place of PromQL.
 * A rule's query returns one row per alert instance (string columns are its labels, the `value` column its value);
 * the condition decides which instances are active. Three kinds of query:
 * - `figure`: a figure of the analytics module (calls, error_rate, p95_ms, cost, …) over a window ending at the
 *   evaluation time, grouped by dimensions, with a minimum-calls guard;
 * - `sql`: any ClickHouse SELECT; `{now_ms:Int64}` is the evaluation time (Unix ms, after the query offset);
 * - `metric`: a collector self-metric scraped from its /metrics (gauges as they are, counters as an increase).
 */

export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';

export interface Condition {
  op: Comparison;
  /** As written: compared exactly as a decimal when the value is one (cost), else as a number. */
  threshold: string;
}

export type RuleQuery =
  | {
      kind: 'figure';
      figure: UsageFigure;
      /** Milliseconds before the evaluation time, or 'today' (since UTC midnight). */
      window: number | 'today';
      by: Dimension[];
      where: Partial<Record<Dimension, string>>;
      minCalls: number;
    }
  | { kind: 'sql'; sql: string }
  | { kind: 'metric'; metric: string; increaseMs: number | undefined };

export type NoDataState = 'ok' | 'keep_last' | 'alerting';
export type ErrorState = 'keep_last' | 'alerting';

export interface Rule {
  /** `<group>/<alert>`: the rule's identity in state, history and the API. */
  key: string;
  alert: string;
  group: string;
  file: string;
  query: RuleQuery;
  condition: Condition;
  forMs: number;
  keepFiringForMs: number;
  /** Rule labels over group labels (templated with the instance's labels and value). */
  labels: Labels;
  annotations: Labels;
  noData: NoDataState;
  onError: ErrorState;
}

export interface RuleGroup {
  name: string;
  file: string;
  intervalMs: number;
  /** The evaluation reads data up to this long before now: spans still in a collector's spool are not "no calls". */
  queryOffsetMs: number;
  queryTimeoutMs: number;
  /** At most this many instances per rule (0 = no limit); over it, the rule fails and keeps its last state. */
  limit: number;
  rules: Rule[];
}

export const GROUP_DEFAULTS = { interval: '30s', query_offset: '15s', query_timeout: '20s' };

/** One problem in a rule file, naming the file, the rule (or group) and the field. */
export interface RuleProblem {
  file: string;
  where: string;
  field: string;
  message: string;
  /** The line in the file (1-based) the problem points at, where it can be found. */
  line?: number;
}

export class RuleFileError extends Error {
  readonly problems: RuleProblem[];
  constructor(problems: RuleProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'RuleFileError';
    this.problems = problems;
  }
}

/** `file:line: where: field: message`, as compilers write it (the line left out where there is none). */
export function formatProblem(p: RuleProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.where}: ${p.field}: ${p.message}`;
}

/**
 * The line a problem points at: its rule or group (by name or index, as `where` says), then as deep along its field
 * (`figure.window`, `labels.alertname`) as the file goes.
 */
function lineOf(
  doc: Document,
  lines: LineCounter,
  root: Record<string, unknown>,
  p: RuleProblem,
): number | undefined {
  const groups = Array.isArray(root.groups) ? (root.groups as Record<string, unknown>[]) : [];
  let path: (string | number)[] | undefined;
  const rule = /^rule '(.*)'$/.exec(p.where)?.[1];
  const group = /^group '(.*)'$/.exec(p.where)?.[1];
  const indexed = /^groups\[(\d+)\](?: rules\[(\d+)\])?$/.exec(p.where);
  if (rule !== undefined) {
    groups.some((g, gi) => {
      const ri = Array.isArray(g?.rules)
        ? (g.rules as { alert?: unknown }[]).findIndex((r) => r?.alert === rule)
        : -1;
      if (ri >= 0) path = ['groups', gi, 'rules', ri];
      return ri >= 0;
    });
  } else if (group !== undefined) {
    const gi = groups.findIndex((g) => g?.name === group);
    if (gi >= 0) path = ['groups', gi];
  } else if (indexed)
    path = ['groups', Number(indexed[1]), ...(indexed[2] ? ['rules', Number(indexed[2])] : [])];
  if (!path) return undefined;
  let node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  for (const key of p.field.split('.')) {
    const deeper = doc.getIn([...path, /^\d+$/.test(key) ? Number(key) : key], true) as typeof node;
    if (!deeper?.range) break;
    path = [...path, /^\d+$/.test(key) ? Number(key) : key];
    node = deeper;
  }
  return node?.range ? lines.linePos(node.range[0]).line : undefined;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Limits past which a rule cannot mean what it says. */
const MAX_HOLD_MS = 30 * 86_400_000;
const MAX_WINDOW_MS = 366 * 86_400_000;
const MAX_QUERY_OFFSET_MS = 15 * 60_000;
const CONDITION = /^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;
const NO_DATA: readonly NoDataState[] = ['ok', 'keep_last', 'alerting'];
const ON_ERROR: readonly ErrorState[] = ['keep_last', 'alerting'];

/** Reads rule files (a folder's *.yaml / *.yml, or files), all or nothing: every problem of every file is reported. */
export async function loadRuleFiles(paths: readonly string[]): Promise<RuleGroup[]> {
  const files: string[] = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (!stat) throw new RuleFileError([{ file: p, where: 'file', field: 'path', message: 'no such file' }]);
    if (stat.isDirectory()) {
      for (const f of (await fs.readdir(p)).sort()) if (/\.ya?ml$/.test(f)) files.push(path.join(p, f));
    } else files.push(p);
  }
  const groups: RuleGroup[] = [];
  const problems: RuleProblem[] = [];
  for (const file of files) {
    const parsed = parseRuleFile(file, await fs.readFile(file, 'utf8'));
    if ('problems' in parsed) problems.push(...parsed.problems);
    else groups.push(...parsed.groups);
  }
  const seen = new Map<string, string>();
  for (const g of groups) {
    const other = seen.get(g.name);
    if (other)
      problems.push({
        file: g.file,
        where: `group '${g.name}'`,
        field: 'name',
        message: `also defined in ${other}: group names are unique`,
      });
    seen.set(g.name, g.file);
  }
  if (problems.length) throw new RuleFileError(problems);
  return groups;
}

/** Parses one rule file's text; every problem found is returned, each naming its group or rule and field. */
export function parseRuleFile(
  file: string,
  text: string,
): { groups: RuleGroup[] } | { problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => ({
        file,
        where: `line ${e.linePos?.[0]?.line ?? '?'}`,
        field: 'yaml',
        message: e.message,
      })),
    };
  }
  const root = doc.toJS() as unknown;
  if (!isObject(root) || !Array.isArray(root.groups)) {
    return {
      problems: [
        { file, where: 'file', field: 'groups', message: 'a rule file is an object with a groups list' },
      ],
    };
  }
  unknownKeys(root, ['groups'], file, 'file', problems);
  const groups: RuleGroup[] = [];
  root.groups.forEach((raw: unknown, gi: number) => {
    const where = `groups[${gi}]`;
    const p = (field: string, message: string, at = where) =>
      problems.push({ file, where: at, field, message });
    if (!isObject(raw)) {
      p('group', 'each group is an object');
      return;
    }
    unknownKeys(
      raw,
      ['name', 'interval', 'query_offset', 'query_timeout', 'limit', 'labels', 'rules'],
      file,
      where,
      problems,
    );
    const name = typeof raw.name === 'string' && raw.name ? raw.name : undefined;
    if (!name) p('name', 'a group needs a name');
    const gwhere = name ? `group '${name}'` : where;
    const duration = (field: string, fallback: string, at: string, min = 0) => {
      const rawValue = (raw as Record<string, unknown>)[field] ?? fallback;
      const ms = typeof rawValue === 'string' ? parseDuration(rawValue) : undefined;
      if (ms === undefined || ms < min) {
        p(
          field,
          `'${String(rawValue)}' is not a duration like 30s, 5m or 1h${min ? ` (at least ${min / 1000}s)` : ''}`,
          at,
        );
        return 0;
      }
      return ms;
    };
    const intervalMs = duration('interval', GROUP_DEFAULTS.interval, gwhere, 1000);
    if (intervalMs && !cronForInterval(intervalMs))
      p(
        'interval',
        'must divide a minute (1s…30s), an hour (1m…30m) or a day (1h…12h) evenly, so runs line up in UTC',
        gwhere,
      );
    const queryOffsetMs = duration('query_offset', GROUP_DEFAULTS.query_offset, gwhere);
    if (queryOffsetMs > MAX_QUERY_OFFSET_MS)
      p(
        'query_offset',
        'at most 15m: it only leaves time for spans still on their way; older data is not "now"',
        gwhere,
      );
    const queryTimeoutMs = duration('query_timeout', GROUP_DEFAULTS.query_timeout, gwhere, 1000);
    const limit = raw.limit ?? 0;
    if (!Number.isInteger(limit) || (limit as number) < 0)
      p('limit', 'a whole number ≥ 0 (0 = no limit)', gwhere);
    const groupLabels = labelMap(raw.labels, file, gwhere, 'labels', problems);
    if (!Array.isArray(raw.rules) || raw.rules.length === 0)
      p('rules', 'a group needs a list of rules', gwhere);
    const rules: Rule[] = [];
    const names = new Set<string>();
    (Array.isArray(raw.rules) ? raw.rules : []).forEach((r: unknown, ri: number) => {
      const rule = parseRule(r, {
        file,
        group: name ?? '',
        where: `${gwhere} rules[${ri}]`,
        groupLabels,
        problems,
      });
      if (!rule) return;
      if (names.has(rule.alert))
        p(
          'alert',
          `'${rule.alert}' appears twice in the group: alert names are unique per group`,
          `rule '${rule.alert}'`,
        );
      names.add(rule.alert);
      rules.push(rule);
    });
    if (name)
      groups.push({ name, file, intervalMs, queryOffsetMs, queryTimeoutMs, limit: Number(limit), rules });
  });
  for (const p of problems) p.line = lineOf(doc, lines, root, p);
  return problems.length ? { problems } : { groups };
}

function parseRule(
  raw: unknown,
  c: { file: string; group: string; where: string; groupLabels: Labels; problems: RuleProblem[] },
): Rule | undefined {
  const before = c.problems.length;
  if (!isObject(raw)) {
    c.problems.push({ file: c.file, where: c.where, field: 'rule', message: 'each rule is an object' });
    return undefined;
  }
  const alert = typeof raw.alert === 'string' ? raw.alert : '';
  const where = alert ? `rule '${alert}'` : c.where;
  const p = (field: string, message: string) => c.problems.push({ file: c.file, where, field, message });
  unknownKeys(
    raw,
    [
      'alert',
      'figure',
      'sql',
      'metric',
      'condition',
      'for',
      'keep_firing_for',
      'labels',
      'annotations',
      'no_data',
      'on_error',
    ],
    c.file,
    where,
    c.problems,
  );
  if (!NAME.test(alert)) p('alert', 'an alert name like HighErrorRate (letters, digits, underscores)');
  const kinds = (['figure', 'sql', 'metric'] as const).filter((k) => raw[k] !== undefined);
  let query: RuleQuery | undefined;
  if (kinds.length !== 1)
    p(
      'query',
      `give exactly one of figure, sql or metric${kinds.length ? ` (found ${kinds.join(', ')})` : ''}`,
    );
  else if (kinds[0] === 'figure') query = parseFigure(raw.figure, p);
  else if (kinds[0] === 'sql') {
    if (typeof raw.sql !== 'string' || !/^\s*(select|with)\b/i.test(raw.sql))
      p('sql', 'a ClickHouse SELECT (or WITH … SELECT)');
    else query = { kind: 'sql', sql: raw.sql };
  } else query = parseMetric(raw.metric, p);
  const conditionMatch = typeof raw.condition === 'string' ? CONDITION.exec(raw.condition) : null;
  if (!conditionMatch)
    p(
      'condition',
      `a comparison with a number, like '> 0.05' or '<= 5000', not ${JSON.stringify(raw.condition)}`,
    );
  const duration = (field: 'for' | 'keep_firing_for') => {
    const v = raw[field] ?? '0s';
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) p(field, `'${String(v)}' is not a duration like 0s, 5m or 1h`);
    else if (ms > MAX_HOLD_MS)
      p(field, `'${v}' is longer than 30d: a condition that must hold that long is not an alert`);
    return ms ?? 0;
  };
  const forMs = duration('for');
  const keepFiringForMs = duration('keep_firing_for');
  const labels = labelMap(raw.labels, c.file, where, 'labels', c.problems);
  const annotations = labelMap(raw.annotations, c.file, where, 'annotations', c.problems);
  // The labels a figure rule's alerts carry are known here (its `by`, the rule's and group's labels); a SQL or metric
  // rule's come from its query, so they are checked against the query's columns by `alerts check` instead.
  const known =
    query?.kind === 'figure'
      ? new Set(['alertname', ...query.by, ...Object.keys(c.groupLabels), ...Object.keys(labels)])
      : undefined;
  for (const [field, map] of [
    ['labels', labels],
    ['annotations', annotations],
  ] as const) {
    for (const [name, template] of Object.entries(map)) {
      const problem = checkTemplate(template);
      if (problem) p(`${field}.${name}`, problem);
      if (field === 'labels' && name === 'alertname')
        p('labels.alertname', "alertname is the rule's alert name: it cannot be set as a label");
      if (field === 'annotations' || field === 'labels')
        for (const used of template.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g))
          if (known && !known.has(used[1]!))
            p(
              `${field}.${name}`,
              `$labels.${used[1]} is not a label of this rule's alerts (they have ${[...known].sort().join(', ')})`,
            );
      if (field === 'labels' && /\$value/.test(template))
        p(
          `labels.${name}`,
          'a label must not use $value: labels are the alert identity, a changing value would make a new alert every evaluation (put it in an annotation)',
        );
    }
  }
  const noData = (raw.no_data ?? 'ok') as NoDataState;
  if (!NO_DATA.includes(noData)) p('no_data', `one of ${NO_DATA.join(', ')}`);
  const onError = (raw.on_error ?? 'keep_last') as ErrorState;
  if (!ON_ERROR.includes(onError)) p('on_error', `one of ${ON_ERROR.join(', ')}`);
  if (c.problems.length > before || !query || !conditionMatch) return undefined;
  return {
    key: `${c.group}/${alert}`,
    alert,
    group: c.group,
    file: c.file,
    query,
    condition: { op: conditionMatch[1] as Comparison, threshold: conditionMatch[2]! },
    forMs,
    keepFiringForMs,
    labels: { ...c.groupLabels, ...labels },
    annotations,
    noData,
    onError,
  };
}

function parseFigure(raw: unknown, p: (field: string, message: string) => void): RuleQuery | undefined {
  if (!isObject(raw)) {
    p('figure', 'an object: name, window, by, where, min_calls');
    return undefined;
  }
  const before = { failed: false };
  const fail = (field: string, message: string) => {
    before.failed = true;
    p(`figure.${field}`, message);
  };
  for (const k of Object.keys(raw))
    if (!['name', 'window', 'by', 'where', 'min_calls'].includes(k)) fail(k, 'unknown field');
  const figure = raw.name as UsageFigure;
  if (typeof figure !== 'string' || !Object.hasOwn(USAGE_FIGURES, figure))
    fail('name', `one of ${Object.keys(USAGE_FIGURES).join(', ')}`);
  let window: number | 'today' = 0;
  if (raw.window === 'today') window = 'today';
  else {
    const ms = typeof raw.window === 'string' ? parseDuration(raw.window) : undefined;
    if (!ms) fail('window', "a duration like 5m or 1h, or 'today' (since UTC midnight)");
    else if (ms > MAX_WINDOW_MS)
      fail('window', `'${raw.window}' is longer than 366d, the longest window a figure covers`);
    else window = ms;
  }
  const by = (raw.by ?? []) as Dimension[];
  if (!Array.isArray(by) || by.some((d) => !DIMENSION_NAMES.includes(d)))
    fail('by', `a list of ${DIMENSION_NAMES.join(', ')}`);
  else if (new Set(by).size !== by.length) fail('by', 'a dimension is named twice');
  const where = (raw.where ?? {}) as Record<string, unknown>;
  if (
    !isObject(where) ||
    Object.entries(where).some(([k, v]) => !DIMENSION_NAMES.includes(k as Dimension) || typeof v !== 'string')
  )
    fail('where', `a map from ${DIMENSION_NAMES.join(', ')} to a value`);
  const minCalls = raw.min_calls ?? 1;
  if (!Number.isInteger(minCalls) || (minCalls as number) < 1) fail('min_calls', 'a whole number ≥ 1');
  if (before.failed) return undefined;
  return {
    kind: 'figure',
    figure,
    window,
    by,
    where: where as Partial<Record<Dimension, string>>,
    minCalls: Number(minCalls),
  };
}

function parseMetric(raw: unknown, p: (field: string, message: string) => void): RuleQuery | undefined {
  const spec = typeof raw === 'string' ? { name: raw } : raw;
  if (!isObject(spec) || typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    p('metric', 'a metric name, or { name, increase: <duration> } for a counter');
    return undefined;
  }
  let increaseMs: number | undefined;
  if (spec.increase !== undefined) {
    increaseMs = typeof spec.increase === 'string' ? parseDuration(spec.increase) : undefined;
    if (!increaseMs) {
      p('metric.increase', 'a duration like 15m: how far back the counter increase is measured');
      return undefined;
    }
  }
  return { kind: 'metric', metric: spec.name, increaseMs };
}

/**
 * The node-cron expression that fires every interval, aligned to UTC: seconds dividing a minute, minutes dividing an
 * hour, hours dividing a day. Undefined for intervals that cannot line up.
 */
export function cronForInterval(ms: number): string | undefined {
  const s = ms / 1000;
  if (!Number.isInteger(s) || s <= 0) return undefined;
  if (s < 60) return 60 % s === 0 ? `*/${s} * * * * *` : undefined;
  const m = s / 60;
  if (m < 60) return Number.isInteger(m) && 60 % m === 0 ? `0 */${m} * * * *` : undefined;
  const h = m / 60;
  if (h <= 24) return Number.isInteger(h) && 24 % h === 0 ? `0 0 */${h} * * *` : undefined;
  return undefined;
}

function labelMap(raw: unknown, file: string, where: string, field: string, problems: RuleProblem[]): Labels {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    problems.push({ file, where, field, message: 'a map of name: value' });
    return {};
  }
  const out: Labels = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!NAME.test(k))
      problems.push({
        file,
        where,
        field: `${field}.${k}`,
        message: 'names are letters, digits and underscores',
      });
    else if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      problems.push({ file, where, field: `${field}.${k}`, message: 'a text value' });
    else out[k] = String(v);
  }
  return out;
}

function unknownKeys(
  raw: Record<string, unknown>,
  known: string[],
  file: string,
  where: string,
  problems: RuleProblem[],
) {
  for (const k of Object.keys(raw))
    if (!known.includes(k))
      problems.push({ file, where, field: k, message: `unknown field (known: ${known.join(', ')})` });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
