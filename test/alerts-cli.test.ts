import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../src/store/postgres.ts';
import { runCli } from './support/cli.ts';
import { createTestDatabase } from './support/databases.ts';

const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' };
const ROOT = path.resolve(import.meta.dirname, '..');

describe('promptscope alerts test and check, as CI runs them', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-alerts-cli-'));
  });
  afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

  it('every shipped rule passes its unit tests', async () => {
    const { code, out } = await runCli(['alerts', 'test', 'alerts/tests'], env);
    expect(out).toMatch(/\b(\d+) passed, 0 failed/);
    expect(Number(/(\d+) passed/.exec(out)![1])).toBeGreaterThanOrEqual(11);
    expect(code).toBe(0);
  });

  it('a rule test whose expectation is wrong fails with what was expected and what fired', async () => {
    const text = (await fs.readFile(path.join(ROOT, 'alerts/tests/llm-calls.test.yaml'), 'utf8'))
      .replace('../rules/llm-calls.yaml', path.join(ROOT, 'alerts/rules/llm-calls.yaml'))
      .replace('P95 latency of checkout is 5001 ms', 'P95 latency of checkout is 5000 ms');
    await fs.writeFile(path.join(dir, 'wrong.test.yaml'), text);
    const { code, out } = await runCli(
      ['alerts', 'test', path.join(dir, 'wrong.test.yaml'), '--run', 'P95'],
      env,
    );
    expect(code).toBe(1);
    expect(out).toContain('FAIL');
    expect(out).toContain('eval_time 6m, alertname HighP95Latency');
    expect(out).toContain('is 5001 ms');
    expect(out).toMatch(/0 passed, 1 failed/);
  });

  it('check passes the shipped rules and names the file, rule and field of every problem', async () => {
    expect((await runCli(['alerts', 'check'], env)).code).toBe(0);
    const file = path.join(dir, 'broken.yaml');
    await fs.writeFile(
      file,
      `groups:
  - name: broken
    interval: 7s
    rules:
      - alert: BadCondition
        figure: { name: error_rate, window: 5m }
        condition: 'above 5'
      - alert: UnknownFigure
        figure: { name: happiness, window: 5m }
        condition: '> 1'
      - alert: ValueInLabel
        figure: { name: calls, window: 5m }
        condition: '> 1'
        labels: { value: '{{ $value }}' }
      - alert: BadTemplate
        figure: { name: calls, window: 5m }
        condition: '> 1'
        annotations: { summary: '{{ $labels.template | shout }}' }
`,
    );
    const parsed = await runCli(['alerts', 'check', file], env);
    expect(parsed.code).toBe(1);
    for (const line of [
      `${file}:3: group 'broken': interval: must divide a minute`,
      `${file}:7: rule 'BadCondition': condition: a comparison with a number`,
      `${file}:9: rule 'UnknownFigure': figure.name: one of calls,`,
      `${file}:14: rule 'ValueInLabel': labels.value: a label must not use $value`,
      `${file}:18: rule 'BadTemplate': annotations.summary: {{ $labels.template | shout }}: unknown formatter 'shout'`,
    ])
      expect(parsed.out).toContain(line);

    await fs.writeFile(
      file,
      `groups:
  - name: queries
    rules:
      - alert: Typo
        sql: SELECT prompt_nam AS template, count() AS value FROM llm_calls GROUP BY template
        condition: '> 1'
      - alert: NoValue
        sql: SELECT prompt_name AS template, count() AS calls FROM llm_calls GROUP BY template
        condition: '> 1'
`,
    );
    const queried = await runCli(['alerts', 'check', file], env);
    expect(queried.code).toBe(1);
    // What the query tools find too: a string value, a metric nobody exposes, a table that does not exist (named
    // without the scratch database it was checked in).
    const more = path.join(dir, 'more.yaml');
    await fs.writeFile(
      more,
      `groups:
  - name: more
    rules:
      - alert: StringValue
        sql: SELECT prompt_name AS template, toString(count()) AS value FROM llm_calls GROUP BY template
        condition: '> 1'
      - alert: NoSuchMetric
        metric: promptscope_collector_spans_eaten_total
        condition: '> 1'
      - alert: NoSuchTable
        sql: SELECT 1 AS value FROM llm_callz
        condition: '> 1'
`,
    );
    const found = await runCli(['alerts', 'check', more], env);
    expect(found.code).toBe(1);
    expect(found.out).toContain(
      `${more}: rule 'StringValue': sql: the 'value' column is String: a rule compares a number`,
    );
    expect(found.out).toContain(
      `${more}: rule 'NoSuchMetric': metric: no collector or scheduler exposes 'promptscope_collector_spans_eaten_total'`,
    );
    expect(found.out).toMatch(new RegExp(`${more}: rule 'NoSuchTable': sql: .*llm_callz`));
    expect(found.out).not.toMatch(/rules_\d+_\d+/);
    expect(queried.out).toMatch(new RegExp(`${file}: rule 'Typo': sql: .*prompt_nam`));
    expect(queried.out).toContain(
      `${file}: rule 'NoValue': sql: the query returns no 'value' column (columns: template, calls)`,
    );
  });
});

describe('promptscope alerts silence', () => {
  let db: { sql: Sql; url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  it('adds, lists and expires a silence; a bad matcher is refused naming it', async () => {
    const e = { ...env, DATABASE_URL: db.url };
    const bad = await runCli(['alerts', 'silence', 'add', '--matcher', 'template', '--for', '1h'], e);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("--matcher 1: 'template'");
    const everything = await runCli(
      ['alerts', 'silence', 'add', '--matcher', 'template=~.*', '--for', '1h'],
      e,
    );
    expect(everything.out).toContain('silences every alert');

    const added = await runCli(
      [
        'alerts',
        'silence',
        'add',
        '--matcher',
        'template=checkout',
        '--matcher',
        'severity=~"page|warning"',
        '--for',
        '2h',
        '--comment',
        'deploy',
      ],
      e,
    );
    expect(added.code).toBe(0);
    const id = /silence (\S+) \{template="checkout", severity=~"page\|warning"\} until/.exec(added.out)?.[1];
    expect(id).toBeDefined();
    expect((await runCli(['alerts', 'silence', 'list'], e)).out).toMatch(new RegExp(`${id}\\s+active\\s`));
    expect((await runCli(['alerts', 'silence', 'expire', id!], e)).code).toBe(0);
    expect((await runCli(['alerts', 'silence', 'list'], e)).out).toMatch(new RegExp(`${id}\\s+expired\\s`));
    expect(
      (await runCli(['alerts', 'silence', 'expire', '00000000-0000-0000-0000-000000000000'], e)).code,
    ).toBe(1);
  });
});
