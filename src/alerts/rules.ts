import fs from 'node:fs/promises';
import path from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Key, UsageFigure } from '../analytics/figures.ts';
import { parseDuration } from '../platform/duration.ts';
import type { Labels } from './labels.ts';
import {
  type ERROR_STATES,
  KNOWN_KEYS,
  type NO_DATA_STATES,
  parseCondition,
  type RuleShape,
  ruleFileSchema,
} from './rule-file-schema.ts';

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
      by: Key[];
      where: Partial<Record<Key, string>>;
      minCalls: number;
    }
  | { kind: 'sql'; sql: string }
  | { kind: 'metric'; metric: string; increaseMs: number | undefined };

export type NoDataState = (typeof NO_DATA_STATES)[number];
export type ErrorState = (typeof ERROR_STATES)[number];

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

/** Parses one rule file's text; every problem found is returned, each naming its group or rule, field and line. */
export function parseRuleFile(
  file: string,
  text: string,
): { groups: RuleGroup[] } | { problems: RuleProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => ({
        file,
        where: `line ${e.linePos?.[0]?.line ?? '?'}`,
        field: 'yaml',
        message: e.message,
        line: e.linePos?.[0]?.line,
      })),
    };
  }
  const root = doc.toJS() as unknown;
  const parsed = ruleFileSchema.safeParse(root);
  if (!parsed.success)
    return { problems: parsed.error.issues.flatMap((issue) => problemsOf(issue, file, root, doc, lines)) };
  return {
    groups: parsed.data.groups.map((g) => ({
      name: g.name,
      file,
      intervalMs: parseDuration(g.interval)!,
      queryOffsetMs: parseDuration(g.query_offset)!,
      queryTimeoutMs: parseDuration(g.query_timeout)!,
      limit: g.limit,
      rules: g.rules.map((r) => ruleOf(r, g.name, file, g.labels)),
    })),
  };
}

function ruleOf(r: RuleShape, group: string, file: string, groupLabels: Labels): Rule {
  const query: RuleQuery = r.figure
    ? {
        kind: 'figure',
        figure: r.figure.name,
        window: r.figure.window === 'today' ? 'today' : parseDuration(r.figure.window)!,
        by: r.figure.by,
        where: r.figure.where,
        minCalls: r.figure.min_calls,
      }
    : r.sql !== undefined
      ? { kind: 'sql', sql: r.sql }
      : typeof r.metric === 'string'
        ? { kind: 'metric', metric: r.metric, increaseMs: undefined }
        : {
            kind: 'metric',
            metric: r.metric!.name,
            increaseMs: r.metric!.increase === undefined ? undefined : parseDuration(r.metric!.increase),
          };
  return {
    key: `${group}/${r.alert}`,
    alert: r.alert,
    group,
    file,
    query,
    condition: parseCondition(r.condition),
    forMs: parseDuration(r.for)!,
    keepFiringForMs: parseDuration(r.keep_firing_for)!,
    labels: { ...groupLabels, ...r.labels },
    annotations: r.annotations,
    noData: r.no_data,
    onError: r.on_error,
  };
}

/**
 * A schema issue as the problems a person reads: where (the rule by its alert name, the group by its name, else by
 * index), the field below it, the message, and the line in the file (as deep along the path as the file goes).
 */
function problemsOf(
  issue: z.core.$ZodIssue,
  file: string,
  root: unknown,
  doc: Document,
  lines: LineCounter,
): RuleProblem[] {
  const path = issue.path as (string | number)[];
  const groups = isObject(root) && Array.isArray(root.groups) ? (root.groups as unknown[]) : [];
  let where = 'file';
  let rest = path;
  let level: keyof typeof KNOWN_KEYS = 'file';
  if (path[0] === 'groups' && typeof path[1] === 'number') {
    const gi = path[1];
    const group = groups[gi];
    const name = isObject(group) && typeof group.name === 'string' && group.name ? group.name : undefined;
    where = name ? `group '${name}'` : `groups[${gi}]`;
    rest = path.slice(2);
    level = 'group';
    if (rest[0] === 'rules' && typeof rest[1] === 'number') {
      const ri = rest[1];
      const rule = isObject(group) && Array.isArray(group.rules) ? group.rules[ri] : undefined;
      const alert = isObject(rule) && typeof rule.alert === 'string' && rule.alert ? rule.alert : undefined;
      where = alert ? `rule '${alert}'` : `${where} rules[${ri}]`;
      rest = rest.slice(2);
      level = 'rule';
    }
  }
  if (level === 'rule' && (rest[0] === 'figure' || rest[0] === 'metric') && rest.length === 1)
    level = rest[0];
  const field = rest.join('.') || (level === 'file' ? 'groups' : level);
  const line = lineAt(doc, lines, path);
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => ({
      file,
      where,
      field: rest.length ? `${field}.${key}` : key,
      message: `unknown field (known: ${KNOWN_KEYS[level].join(', ')})`,
      line: lineAt(doc, lines, [...path, key]),
    }));
  return [{ file, where, field, message: issue.message, line }];
}

/** The line of the deepest node along the path that the file has. */
function lineAt(doc: Document, lines: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export { cronForInterval, GROUP_DEFAULTS } from './rule-file-schema.ts';
