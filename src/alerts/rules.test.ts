import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPED_ALERTS } from '../config.ts';
import { ruleFileJsonSchema } from './rule-file-schema.ts';
import { parseRuleFile } from './rules.ts';

const file = (rule: string, group = '') => `groups:
  - name: g${group}
    rules:
      - alert: A
${rule
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`;

const problemsOf = (text: string) => {
  const parsed = parseRuleFile('r.yaml', text);
  return 'problems' in parsed ? parsed.problems.map((p) => `${p.where}: ${p.field}: ${p.message}`) : [];
};

describe('rule files refuse what cannot be meant, naming the rule and the field', () => {
  it.each([
    [
      "figure: { name: calls, window: 5m }\ncondition: '> 1'\nfor: 400d",
      "rule 'A': for: '400d' is longer than 30d",
    ],
    [
      "figure: { name: calls, window: 5m }\ncondition: '> 1'\nkeep_firing_for: 1000d",
      "rule 'A': keep_firing_for: '1000d' is longer than 30d",
    ],
    [
      "figure: { name: calls, window: 400d }\ncondition: '> 1'",
      "rule 'A': figure.window: '400d' is longer than 366d",
    ],
    [
      "figure: { name: calls, window: 5m, by: [template, template] }\ncondition: '> 1'",
      "rule 'A': figure.by: a dimension is named twice",
    ],
    [
      "figure: { name: calls, window: 5m }\ncondition: '> 1'\nlabels: { alertname: Foo }",
      "rule 'A': labels.alertname: alertname is the rule's alert name",
    ],
    [
      "figure: { name: calls, window: 5m, by: [template] }\ncondition: '> 1'\nannotations: { summary: '{{ $labels.tempalte }} is slow' }",
      "rule 'A': annotations.summary: $labels.tempalte is not a label of this rule's alerts (they have alertname, template)",
    ],
  ])('%s', (rule, message) => {
    expect(problemsOf(file(rule)).join('\n')).toContain(message);
  });

  it.each([
    ['amount: 0\nperiod: month', "budget 'b': amount: an amount in USD above 0"],
    ['amount: 10\nperiod: week', "budget 'b': period: day or month"],
    ['amount: 10\nperiod: day\ntime_zone: Mars/Base', "budget 'b': time_zone: an IANA time zone"],
    ['amount: 10\nperiod: day\nby: [colour]', "budget 'b': by.0: one of"],
    ['amount: 10\nperiod: day\nwarn_at: [80, 80]', "budget 'b': warn_at: a step is named twice"],
    ['amount: 10\nperiod: day\nforecast: { lookback: 1y }', "budget 'b': forecast"],
    [
      'amount: 10\nperiod: day\nlabels: { threshold: x }',
      "budget 'b': labels.threshold: 'threshold' is set by the budget",
    ],
    ['amount: 10\nperiod: day\nlimit: 5', "budget 'b': limit: unknown field (known: name, amount"],
  ])('budget %j', (body, message) => {
    const text = `budgets:\n  - name: b\n${body
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}\n`;
    expect(problemsOf(text).join('\n')).toContain(message);
  });

  it('a budget becomes a rule group: a rule per warning step and a forecast', () => {
    const parsed = parseRuleFile(
      'b.yaml',
      'budgets:\n  - { name: b, amount: "1250.5", period: month, warn_at: [100, 50] }\n  - { name: c, amount: 1, period: day, forecast: false }\n',
    );
    if (!('groups' in parsed)) throw new Error(JSON.stringify(parsed.problems));
    expect(
      parsed.groups.map((g) => [
        g.name,
        g.rules.map((r) => `${r.alert} ${r.condition.op} ${r.condition.threshold}`),
      ]),
    ).toEqual([
      ['budget:b', ['BudgetSpent >= 625.25', 'BudgetSpent >= 1250.5', 'BudgetForecast > 1250.5']],
      ['budget:c', ['BudgetSpent >= 0.5', 'BudgetSpent >= 0.8', 'BudgetSpent >= 1']],
    ]);
    expect(
      problemsOf(
        'budgets:\n  - { name: b, amount: 1, period: day }\n  - { name: b, amount: 2, period: day }\n',
      ),
    ).toEqual(["budget 'b': name: 'b' appears twice: budget names are unique"]);
  });

  it('names the line of each problem, as deep along its field as the file goes', () => {
    const parsed = parseRuleFile(
      'r.yaml',
      `groups:
  - name: g
    rules:
      - alert: Fine
        figure: { name: calls, window: 5m }
        condition: '> 1'
      - alert: Late
        figure:
          name: calls
          window: 400d
        condition: '> 1'
        for: 400d
`,
    );
    expect('problems' in parsed && parsed.problems.map((p) => [p.field, p.line])).toEqual([
      ['figure.window', 10],
      ['for', 12],
    ]);
  });

  it('refuses a query offset of hours for the group', () => {
    const text = file("figure: { name: calls, window: 5m }\ncondition: '> 1'").replace(
      '  - name: g\n',
      '  - name: g\n    query_offset: 2h\n',
    );
    expect(problemsOf(text).join('\n')).toContain("group 'g': query_offset: at most 15m");
  });

  it('accepts the edges: for 30d, a 366-day window, a label the rule sets itself used in an annotation', () => {
    expect(
      problemsOf(
        file(
          "figure: { name: calls, window: 366d, by: [model] }\ncondition: '> 1'\nfor: 30d\nlabels: { team: search }\nannotations: { summary: '{{ $labels.team }}: {{ $labels.model }}' }",
        ),
      ),
    ).toEqual([]);
  });
});

describe('a rule file is checked whole and strictly, each problem where a person looks for it', () => {
  const rule = "figure: { name: calls, window: 5m }\ncondition: '> 1'";
  it.each([
    [
      'an unknown rule field',
      `${rule}\nseverity: page`,
      "rule 'A': severity: unknown field (known: alert, figure",
    ],
    [
      'an unknown figure field',
      "figure: { name: calls, window: 5m, step: 1m }\ncondition: '> 1'",
      "rule 'A': figure.step: unknown field (known: name, window, by, where, min_calls)",
    ],
    [
      'an unknown metric field',
      "metric: { name: up, rate: 5m }\ncondition: '< 1'",
      "rule 'A': metric.rate: unknown field (known: name, increase)",
    ],
    ['no query', "condition: '> 1'", "rule 'A': query: give exactly one of figure, sql or metric"],
    [
      'two queries',
      `${rule}\nsql: SELECT 1 AS value`,
      "rule 'A': query: give exactly one of figure, sql or metric (found figure, sql)",
    ],
    [
      'SQL that is not a SELECT',
      "sql: DROP TABLE llm_calls\ncondition: '> 1'",
      "rule 'A': sql: a ClickHouse SELECT (or WITH … SELECT)",
    ],
    [
      'a metric name that is not one',
      "metric: 'up{}'\ncondition: '< 1'",
      "rule 'A': metric: a metric name, or { name, increase: <duration> } for a counter",
    ],
    [
      'a figure that does not exist',
      "figure: { name: joy, window: 5m }\ncondition: '> 1'",
      "rule 'A': figure.name: one of calls,",
    ],
    [
      'a dimension that does not exist',
      "figure: { name: calls, window: 5m, by: [colour] }\ncondition: '> 1'",
      "rule 'A': figure.by.0: one of template, version, label, variant, model, provider, service, environment, user, session, conversation, tenant or property.<name>",
    ],
    [
      'a window of nothing',
      "figure: { name: calls, window: 0s }\ncondition: '> 1'",
      "rule 'A': figure.window:",
    ],
    [
      'min_calls of 0',
      "figure: { name: calls, window: 5m, min_calls: 0 }\ncondition: '> 1'",
      "rule 'A': figure.min_calls: a whole number ≥ 1",
    ],
    [
      'a condition in words',
      'figure: { name: calls, window: 5m }\ncondition: more than 5',
      `rule 'A': condition: a comparison with a number, like '> 0.05' or '<= 5000', not "more than 5"`,
    ],
    [
      'a for that is not a duration',
      `${rule}\nfor: soon`,
      "rule 'A': for: 'soon' is not a duration like 0s, 5m or 1h",
    ],
    ['an unknown no_data', `${rule}\nno_data: panic`, "rule 'A': no_data: one of ok, keep_last, alerting"],
    ['an unknown on_error', `${rule}\non_error: ok`, "rule 'A': on_error: one of keep_last, alerting"],
    [
      'a label name with a dash',
      `${rule}\nlabels: { on-call: me }`,
      "rule 'A': labels.on-call: names are letters, digits and underscores",
    ],
    ['a label that is a list', `${rule}\nlabels: { team: [a, b] }`, "rule 'A': labels.team: a text value"],
    ['labels as a list', `${rule}\nlabels: [team]`, "rule 'A': labels: a map of name: value"],
  ])('%s', (_, text, message) => {
    expect(problemsOf(file(text)).join('\n')).toContain(message);
  });

  it.each([
    [
      'an unknown group field',
      '  - name: g\n    every: 1m\n',
      "group 'g': every: unknown field (known: name, interval, query_offset, query_timeout, limit, labels, rules)",
    ],
    ['a group without a name', '  - interval: 1m\n', 'groups[0]: name: a group needs a name'],
    [
      'an interval that does not line up',
      '  - name: g\n    interval: 7s\n',
      "group 'g': interval: must divide a minute (1s…30s), an hour (1m…30m) or a day (1h…12h) evenly",
    ],
    [
      'an interval under a second',
      '  - name: g\n    interval: 500ms\n',
      "group 'g': interval: '500ms' is not a duration like 30s, 5m or 1h (at least 1s)",
    ],
    [
      'a negative limit',
      '  - name: g\n    limit: -1\n',
      "group 'g': limit: a whole number ≥ 0 (0 = no limit)",
    ],
  ])('%s', (_, group, message) => {
    const text = file("figure: { name: calls, window: 5m }\ncondition: '> 1'").replace(
      '  - name: g\n',
      group,
    );
    expect(problemsOf(text).join('\n')).toContain(message);
  });

  it.each([
    ['not an object', '- groups', 'file: groups: a rule file is an object with a groups list'],
    ['groups not a list', 'groups: {}', 'file: groups: a list of rule groups'],
    [
      'an unknown top-level key',
      'groups: []\nrule_files: []',
      'file: rule_files: unknown field (known: groups, budgets)',
    ],
    ['a group without rules', 'groups:\n  - name: g\n', "group 'g': rules: a group needs a list of rules"],
    [
      'a rule that is a string',
      'groups:\n  - name: g\n    rules: [A]\n',
      "group 'g' rules[0]: rule: each rule is an object",
    ],
    [
      'an alert name with spaces',
      "groups:\n  - name: g\n    rules:\n      - { alert: High errors, sql: 'SELECT 1 AS value', condition: '> 0' }\n",
      "rule 'High errors': alert: an alert name like HighErrorRate",
    ],
    [
      'two rules of one name',
      "groups:\n  - name: g\n    rules:\n      - { alert: A, sql: 'SELECT 1 AS value', condition: '> 0' }\n      - { alert: A, sql: 'SELECT 2 AS value', condition: '> 0' }\n",
      "rule 'A': alert: 'A' appears twice in the group",
    ],
  ])('%s', (_, text, message) => {
    expect(problemsOf(text).join('\n')).toContain(message);
  });

  it('reports every problem of a file at once, in the order of its lines', () => {
    const parsed = parseRuleFile(
      'r.yaml',
      `groups:
  - name: g
    interval: 7s
    rules:
      - alert: One
        figure: { name: joy, window: 5m }
        condition: '> 1'
      - alert: Two
        sql: SELECT 1 AS value
        condition: soon
        colour: red
`,
    );
    expect('problems' in parsed && parsed.problems.map((p) => `${p.line}: ${p.where}: ${p.field}`)).toEqual([
      "3: group 'g': interval",
      "6: rule 'One': figure.name",
      "10: rule 'Two': condition",
      "11: rule 'Two': colour",
    ]);
  });

  it('the published JSON Schema is the one the code checks with, and the shipped files point editors at it', () => {
    const published = JSON.parse(
      fs.readFileSync(path.join(SHIPPED_ALERTS.rules, '../rules.schema.json'), 'utf8'),
    );
    expect(published).toEqual(ruleFileJsonSchema());
    const group = published.properties.groups.items;
    expect([published, group, group.properties.rules.items].map((s) => s.additionalProperties)).toEqual([
      false,
      false,
      false,
    ]);
    for (const name of fs.readdirSync(SHIPPED_ALERTS.rules))
      expect(fs.readFileSync(path.join(SHIPPED_ALERTS.rules, name), 'utf8')).toMatch(
        /^# yaml-language-server: \$schema=\.\.\/rules\.schema\.json$/m,
      );
  });
});
