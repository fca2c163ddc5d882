import { z } from 'zod';
import { USAGE_FIGURES, type UsageFigure } from '../analytics/figures.ts';
import { parseDuration } from '../platform/duration.ts';
import { BUDGET_KEYS, budgetSchema } from './budget-schema.ts';
import { keyFilters, keyList } from './key-schema.ts';
import { checkTemplate } from './templates.ts';

/**
 * A rule file's shape and rules, strictly (an unknown key is an error naming it): Prometheus rule groups with a figure,
 * SQL or metric query in place of PromQL. Checks that need several fields at once (a window's length, a label used in
 * a template) are refinements here too, so every problem is an issue with its path. The JSON Schema published at
 * `alerts/rules.schema.json` (for editors) is generated from this.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const CONDITION = /^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;
/** Limits past which a rule cannot mean what it says. */
const MAX_HOLD_MS = 30 * 86_400_000;
const MAX_WINDOW_MS = 366 * 86_400_000;
const MAX_QUERY_OFFSET_MS = 15 * 60_000;

export const GROUP_DEFAULTS = { interval: '30s', query_offset: '15s', query_timeout: '20s' };
export const NO_DATA_STATES = ['ok', 'keep_last', 'alerting'] as const;
export const ERROR_STATES = ['keep_last', 'alerting'] as const;

const duration = (example: string) =>
  z
    .string({ error: (i) => `'${String(i.input)}' is not a duration like ${example}` })
    .regex(DURATION, { error: (i) => `'${String(i.input)}' is not a duration like ${example}` })
    .describe(`a duration like ${example} (ms, s, m, h, d, w; 1h30m)`);

/** A duration no longer than `maxMs` (the message says why), and at least `minMs`. */
const limitedDuration = (
  example: string,
  o: { maxMs?: number; tooLong?: (text: string) => string; minMs?: number },
) =>
  duration(example).superRefine((text, ctx) => {
    const ms = parseDuration(text)!;
    if (o.minMs !== undefined && ms < o.minMs)
      ctx.addIssue({
        code: 'custom',
        message: `'${text}' is not a duration like ${example} (at least ${o.minMs / 1000}s)`,
        input: text,
      });
    if (o.maxMs !== undefined && ms > o.maxMs)
      ctx.addIssue({ code: 'custom', message: o.tooLong!(text), input: text });
  });

const ruleHold = () =>
  limitedDuration('0s, 5m or 1h', {
    maxMs: MAX_HOLD_MS,
    tooLong: (text) => `'${text}' is longer than 30d: a condition that must hold that long is not an alert`,
  }).default('0s');

/** A template's own problems (syntax, formatters); for labels also what a label cannot be. */
const templated = (field: 'labels' | 'annotations') =>
  labelMap.superRefine((map, ctx) => {
    for (const [name, template] of Object.entries(map)) {
      const problem = (message: string) =>
        ctx.addIssue({ code: 'custom', path: [name], message, input: template });
      const templateProblem = checkTemplate(template);
      if (templateProblem) problem(templateProblem);
      if (field === 'labels' && name === 'alertname')
        problem("alertname is the rule's alert name: it cannot be set as a label");
      if (field === 'labels' && /\$value/.test(template))
        problem(
          'a label must not use $value: labels are the alert identity, a changing value would make a new alert every evaluation (put it in an annotation)',
        );
    }
  });

const labelMap = z
  .record(
    z.string().regex(NAME, 'names are letters, digits and underscores'),
    z
      .union([z.string(), z.number(), z.boolean()], { error: 'a text value' })
      .transform(String)
      .describe('a text value; {{ $labels.name }} and {{ $value }} are filled in'),
    {
      error: (issue) =>
        issue.code === 'invalid_key' ? 'names are letters, digits and underscores' : 'a map of name: value',
    },
  )
  .default({});

const figureSchema = z.strictObject(
  {
    name: z
      .enum(Object.keys(USAGE_FIGURES) as [UsageFigure, ...UsageFigure[]], {
        error: `one of ${Object.keys(USAGE_FIGURES).join(', ')}`,
      })
      .describe('the analytics figure'),
    window: z
      .union(
        [
          z.literal('today'),
          limitedDuration('5m or 1h', {
            minMs: 1000,
            maxMs: MAX_WINDOW_MS,
            tooLong: (text) => `'${text}' is longer than 366d, the longest window a figure covers`,
          }),
        ],
        {
          error: "a duration like 5m or 1h, or 'today' (since UTC midnight)",
        },
      )
      .describe("how far back from the evaluation time, or 'today' (since UTC midnight)"),
    by: keyList('a dimension is named twice').describe(
      'dimensions, attribution keys (user, session, conversation, tenant) or property.<name>: one alert per value',
    ),
    where: keyFilters(),
    min_calls: z
      .int({ error: 'a whole number ≥ 1' })
      .min(1, 'a whole number ≥ 1')
      .default(1)
      .describe('fewer calls in the window: no alert'),
  },
  { error: 'an object: name, window, by, where, min_calls' },
);

const METRIC_SPEC = 'a metric name, or { name, increase: <duration> } for a counter';

const metricSchema = z.union(
  [
    z.string().regex(NAME, METRIC_SPEC),
    z.strictObject({
      name: z.string({ error: METRIC_SPEC }).regex(NAME, METRIC_SPEC),
      increase: duration('15m').optional().describe('for a counter: how far back its increase is measured'),
    }),
  ],
  { error: METRIC_SPEC },
);

const ruleSchema = z
  .strictObject(
    {
      alert: z
        .string({ error: 'an alert name like HighErrorRate (letters, digits, underscores)' })
        .regex(NAME, 'an alert name like HighErrorRate (letters, digits, underscores)'),
      figure: figureSchema.optional(),
      sql: z
        .string({ error: 'a ClickHouse SELECT (or WITH … SELECT)' })
        .regex(/^\s*(select|with)\b/i, 'a ClickHouse SELECT (or WITH … SELECT)')
        .optional()
        .describe('a ClickHouse SELECT; {now_ms:Int64} is the evaluation time'),
      metric: metricSchema.optional(),
      condition: z
        .string({
          error: (i) =>
            `a comparison with a number, like '> 0.05' or '<= 5000', not ${JSON.stringify(i.input)}`,
        })
        .regex(CONDITION, {
          error: (i) =>
            `a comparison with a number, like '> 0.05' or '<= 5000', not ${JSON.stringify(i.input)}`,
        }),
      for: ruleHold(),
      keep_firing_for: ruleHold(),
      labels: templated('labels'),
      annotations: templated('annotations'),
      no_data: z.enum(NO_DATA_STATES, { error: `one of ${NO_DATA_STATES.join(', ')}` }).default('ok'),
      on_error: z.enum(ERROR_STATES, { error: `one of ${ERROR_STATES.join(', ')}` }).default('keep_last'),
    },
    { error: 'each rule is an object' },
  )
  .superRefine((rule, ctx) => {
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, input: rule });
    const kinds = (['figure', 'sql', 'metric'] as const).filter((k) => rule[k] !== undefined);
    if (kinds.length !== 1)
      problem(
        ['query'],
        `give exactly one of figure, sql or metric${kinds.length ? ` (found ${kinds.join(', ')})` : ''}`,
      );
    if (
      typeof rule.metric === 'object' &&
      rule.metric.increase !== undefined &&
      !parseDuration(rule.metric.increase)
    )
      problem(['metric', 'increase'], 'a duration like 15m: how far back the counter increase is measured');
  });

const groupSchema = z
  .strictObject(
    {
      name: z.string({ error: 'a group needs a name' }).min(1, 'a group needs a name'),
      interval: limitedDuration('30s, 5m or 1h', { minMs: 1000 })
        .refine(
          (text) => parseDuration(text)! < 1000 || cronForInterval(parseDuration(text)!) !== undefined,
          'must divide a minute (1s…30s), an hour (1m…30m) or a day (1h…12h) evenly, so runs line up in UTC',
        )
        .default(GROUP_DEFAULTS.interval)
        .describe('how often the rules run (dividing a minute, an hour or a day)'),
      query_offset: limitedDuration('15s', {
        maxMs: MAX_QUERY_OFFSET_MS,
        tooLong: () =>
          'at most 15m: it only leaves time for spans still on their way; older data is not "now"',
      })
        .default(GROUP_DEFAULTS.query_offset)
        .describe('read data up to this long before now'),
      query_timeout: limitedDuration('20s', { minMs: 1000 }).default(GROUP_DEFAULTS.query_timeout),
      limit: z
        .int({ error: 'a whole number ≥ 0 (0 = no limit)' })
        .min(0, 'a whole number ≥ 0 (0 = no limit)')
        .default(0)
        .describe('at most this many alerts per rule (0 = no limit)'),
      labels: labelMap,
      rules: z
        .array(ruleSchema, { error: 'a group needs a list of rules' })
        .min(1, 'a group needs a list of rules'),
    },
    { error: 'each group is an object' },
  )
  .superRefine((group, ctx) => {
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, input: group });
    const names = new Set<string>();
    group.rules.forEach((rule, ri) => {
      if (names.has(rule.alert))
        problem(
          ['rules', ri, 'alert'],
          `'${rule.alert}' appears twice in the group: alert names are unique per group`,
        );
      names.add(rule.alert);
      // The labels a figure rule's alerts carry are known here (its `by`, the rule's and group's labels); a SQL or
      // metric rule's come from its query, so they are checked against the query's columns by `alerts check`.
      if (!rule.figure) return;
      const known = new Set([
        'alertname',
        ...rule.figure.by,
        ...Object.keys(group.labels),
        ...Object.keys(rule.labels),
      ]);
      for (const field of ['labels', 'annotations'] as const)
        for (const [name, template] of Object.entries(rule[field]))
          for (const used of template.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g))
            if (!known.has(used[1]!))
              problem(
                ['rules', ri, field, name],
                `$labels.${used[1]} is not a label of this rule's alerts (they have ${[...known].sort().join(', ')})`,
              );
    });
  });

export const ruleFileSchema = z
  .strictObject(
    {
      groups: z.array(groupSchema, { error: 'a list of rule groups' }).default([]),
      budgets: z
        .array(budgetSchema, { error: 'a list of budgets' })
        .default([])
        .superRefine((budgets, ctx) => {
          const names = new Set<string>();
          budgets.forEach((b, i) => {
            if (names.has(b.name))
              ctx.addIssue({
                code: 'custom',
                path: [i, 'name'],
                message: `'${b.name}' appears twice: budget names are unique`,
                input: b.name,
              });
            names.add(b.name);
          });
        })
        .describe('budgets: an amount per day or month, with warning steps and a forecast'),
    },
    { error: 'a rule file is an object with a groups list, a budgets list or both' },
  )
  .refine((f) => f.groups.length + f.budgets.length > 0, {
    error: 'a rule file is an object with a groups list, a budgets list or both',
    path: ['groups'],
  });

export type RuleFileShape = z.infer<typeof ruleFileSchema>;
export type RuleShape = z.infer<typeof ruleSchema>;

/** The keys each level accepts, for `unknown field (known: …)`. */
export const KNOWN_KEYS = {
  file: ['groups', 'budgets'],
  budget: BUDGET_KEYS,
  group: ['name', 'interval', 'query_offset', 'query_timeout', 'limit', 'labels', 'rules'],
  rule: [
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
  figure: Object.keys(figureSchema.shape),
  metric: ['name', 'increase'],
};

/** The comparison and threshold of a condition the schema accepted. */
export function parseCondition(text: string): {
  op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  threshold: string;
} {
  const m = CONDITION.exec(text)!;
  return { op: m[1] as '>', threshold: m[2]! };
}

/** The JSON Schema of a rule file, for editors (yaml-language-server, VS Code's YAML extension). */
export function ruleFileJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://promptscope.dev/schemas/rules.schema.json',
    title: 'promptscope alert rule file',
    ...z.toJSONSchema(ruleFileSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
  };
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
