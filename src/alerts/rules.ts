import fs from 'node:fs/promises';
import path from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from '../platform/duration.ts';
import { budgetGroup, budgetOf } from './budgets.ts';
import type { Labels } from './labels.ts';
import type { Rule, RuleGroup, RuleQuery } from './rule-types.ts';

export type {
  Comparison,
  Condition,
  ErrorState,
  NoDataState,
  Rule,
  RuleGroup,
  RuleQuery,
} from './rule-types.ts';

import { KNOWN_KEYS, parseCondition, type RuleShape, ruleFileSchema } from './rule-file-schema.ts';

/**
 * Alert rules as code: YAML files shaped like Prometheus rule groups, with a ClickHouse query in place of PromQL.
 * A rule's query returns one row per alert instance (string columns are its labels, the `value` column its value);
 * the condition decides which instances are active. Three kinds of query:
 * - `figure`: a figure of the analytics module (calls, error_rate, p95_ms, cost, …) over a window ending at the
 *   evaluation time, grouped by dimensions, with a minimum-calls guard;
 * - `sql`: any ClickHouse SELECT; `{now_ms:Int64}` is the evaluation time (Unix ms, after the query offset);
 * - `metric`: a collector self-metric scraped from its /metrics (gauges as they are, counters as an increase).
 * A file's `budgets` become rule groups of their own (budgets.ts).
 */

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
    groups: [
      ...parsed.data.groups.map((g) => ({
        name: g.name,
        file,
        intervalMs: parseDuration(g.interval)!,
        queryOffsetMs: parseDuration(g.query_offset)!,
        queryTimeoutMs: parseDuration(g.query_timeout)!,
        limit: g.limit,
        rules: g.rules.map((r) => ruleOf(r, g.name, file, g.labels)),
      })),
      ...parsed.data.budgets.map((b) => budgetGroup(budgetOf(b, file))),
    ],
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
  if (path[0] === 'budgets' && typeof path[1] === 'number') {
    const budgets = isObject(root) && Array.isArray(root.budgets) ? (root.budgets as unknown[]) : [];
    const budget = budgets[path[1]];
    const name = isObject(budget) && typeof budget.name === 'string' && budget.name ? budget.name : undefined;
    where = name ? `budget '${name}'` : `budgets[${path[1]}]`;
    rest = path.slice(2);
    level = 'budget';
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
