import { describe, expect, it } from 'vitest';
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
