import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse } from '../../test/support/api.ts';
import { createMigratedTestDatabase } from '../../test/support/databases.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import type { Sql } from '../store/postgres.ts';
import { evaluateRule } from './evaluator.ts';
import { fingerprint } from './labels.ts';
import type { MetricReader } from './rule-query.ts';
import { parseRuleFile, type RuleGroup } from './rules.ts';
import { advance, type Instance } from './state-machine.ts';
import { loadInstances, saveEvaluation } from './state-store.ts';

const T = Date.parse('2026-01-05T10:00:00Z');
const noMetrics: MetricReader = { read: async () => [] };

function group(rules: string, options = ''): RuleGroup {
  const parsed = parseRuleFile(
    'test.yaml',
    `groups:\n  - name: g\n    query_offset: 0s\n${options}    rules:\n${rules}`,
  );
  if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
  return parsed.groups[0]!;
}

const firingLabels = { alertname: 'Always', team: 'a', severity: 'page' };
function firing(): Map<string, Instance> {
  const fp = fingerprint(firingLabels);
  return new Map([
    [
      fp,
      {
        fingerprint: fp,
        labels: firingLabels,
        annotations: {},
        state: 'firing',
        value: 1,
        activeAt: T - 60_000,
        firedAt: T - 60_000,
        resolvedAt: null,
        keepFiringSince: null,
        lastEvaluatedAt: T - 30_000,
      },
    ],
  ]);
}

let clickhouse: ClickHouseClient;
beforeAll(async () => {
  clickhouse = (await testClickHouse()).client;
});

describe('evaluating a rule: query errors and no data', () => {
  it.each([
    {
      name: 'a failing query keeps a firing alert firing (on_error: keep_last, the default)',
      sql: 'SELECT no_such_column AS value',
      options: '',
      expectState: 'firing',
      health: 'error',
    },
    {
      name: 'no data resolves a firing alert (no_data: ok, the default)',
      sql: "SELECT 'a' AS team, 1 AS value WHERE 0",
      options: '',
      expectState: 'resolved',
      health: 'nodata',
    },
    {
      name: 'no data keeps a firing alert with no_data: keep_last',
      sql: "SELECT 'a' AS team, 1 AS value WHERE 0",
      options: '        no_data: keep_last\n',
      expectState: 'firing',
      health: 'nodata',
    },
    {
      name: 'a result without the instance resolves it',
      sql: "SELECT 'b' AS team, 1 AS value",
      options: '',
      expectState: 'resolved',
      health: 'ok',
    },
  ])('$name', async ({ sql, options, expectState, health }) => {
    const g = group(
      `      - alert: Always\n        sql: "${sql}"\n        condition: '> 0'\n        labels: { severity: page }\n${options}`,
    );
    const out = await evaluateRule(g.rules[0]!, g, T, firing(), undefined, {
      clickhouse,
      metrics: noMetrics,
    });
    expect(out.status.health).toBe(health);
    const state = (out.instances ?? firing()).get(fingerprint(firingLabels))?.state;
    expect(state).toBe(expectState);
  });

  it('on_error: alerting fires an instance that says why, and keeps the others', async () => {
    const g = group(
      `      - alert: Always\n        sql: SELECT nope AS value\n        condition: '> 0'\n        labels: { severity: page }\n        on_error: alerting\n`,
    );
    const out = await evaluateRule(g.rules[0]!, g, T, firing(), undefined, {
      clickhouse,
      metrics: noMetrics,
    });
    const states = [...out.instances!.values()].map((i) => [
      i.labels.alertstate_reason ?? i.labels.team,
      i.state,
    ]);
    expect(states).toEqual(
      expect.arrayContaining([
        ['a', 'firing'],
        ['error', 'firing'],
      ]),
    );
    expect(out.status.error).toMatch(/nope/);
  });

  it('no_data: alerting fires one instance labelled no_data', async () => {
    const g = group(
      `      - alert: Quiet\n        sql: SELECT 1 AS value WHERE 0\n        condition: '> 0'\n        no_data: alerting\n`,
    );
    const out = await evaluateRule(g.rules[0]!, g, T, new Map(), undefined, {
      clickhouse,
      metrics: noMetrics,
    });
    expect([...out.instances!.values()].map((i) => [i.labels, i.state])).toEqual([
      [{ alertname: 'Quiet', alertstate_reason: 'no_data' }, 'firing'],
    ]);
  });

  it('two rows with the same labels are an error naming them, not two alerts', async () => {
    const g = group(
      `      - alert: Dup\n        sql: SELECT 'x' AS t, number AS value FROM numbers(2)\n        condition: '>= 0'\n`,
    );
    const out = await evaluateRule(g.rules[0]!, g, T, new Map(), undefined, {
      clickhouse,
      metrics: noMetrics,
    });
    expect(out.status.error).toMatch(/same labels.*"t":"x"/);
    expect(out.instances).toBeUndefined();
  });

  it('more instances than the group limit fail the rule and keep its last state', async () => {
    const g = group(
      `      - alert: Many\n        sql: SELECT toString(number) AS n, 1 AS value FROM numbers(5)\n        condition: '> 0'\n`,
      '    limit: 3\n',
    );
    const out = await evaluateRule(g.rules[0]!, g, T, new Map(), undefined, {
      clickhouse,
      metrics: noMetrics,
    });
    expect(out.status.error).toMatch(/5 alerts exceed the group's limit of 3/);
  });

  it('a hung query is cancelled after the group query_timeout and marks the rule failing', async () => {
    const g = group(
      `      - alert: Hung\n        sql: SELECT sleepEachRow(1) + 1 AS value FROM numbers(30) SETTINGS max_block_size = 1, function_sleep_max_microseconds_per_block = 60000000\n        condition: '> 0'\n`,
      '    query_timeout: 1s\n',
    );
    const out = await evaluateRule(g.rules[0]!, g, T, firing(), undefined, {
      clickhouse,
      metrics: noMetrics,
    });
    expect(out.status).toMatchObject({ health: 'error', consecutiveErrors: 1 });
    expect(out.status.error).toMatch(/did not finish within 1s|TIMEOUT|timeout/i);
    expect(out.instances).toBeUndefined();
  });

  it('labels and annotations are templated with the row and value; labels keep the row labels', async () => {
    const g = group(
      `      - alert: Slow\n        sql: "SELECT 'checkout' AS template, 0.0712 AS value"\n        condition: '> 0.05'\n        labels: { severity: page, owner: 'team-{{ $labels.template }}' }\n        annotations: { summary: '{{ $labels.template }} at {{ $value | percent }}' }\n`,
    );
    const out = await evaluateRule(g.rules[0]!, g, T, new Map(), undefined, {
      clickhouse,
      metrics: noMetrics,
    });
    const [alert] = out.instances!.values();
    expect(alert!.labels).toEqual({
      alertname: 'Slow',
      template: 'checkout',
      severity: 'page',
      owner: 'team-checkout',
    });
    expect(alert!.annotations).toEqual({ summary: 'checkout at 7.12%' });
  });
});

describe('alert state in Postgres survives a restart in every state', () => {
  let db: { sql: Sql; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
  });
  afterAll(async () => db.drop());

  const rule = { forMs: 5 * 60_000, keepFiringForMs: 2 * 60_000 };
  const active = new Map([
    [fingerprint(firingLabels), { labels: firingLabels, annotations: { summary: 's' }, value: 1 }],
  ]);
  const none = new Map();
  // Sequences of evaluations (true = the condition holds) that leave the instance in each state.
  it.each([
    { state: 'pending', steps: [true] },
    { state: 'firing', steps: [true, true, true, true, true, true] },
    { state: 'firing (keeping fire)', steps: [true, true, true, true, true, true, false] },
    { state: 'resolved', steps: [true, true, true, true, true, true, false, false, false] },
  ])('$state: after a restart the next evaluation goes on as if nothing happened', async ({ steps }) => {
    const key = `g/${Math.random()}`;
    let memory = new Map<string, Instance>();
    let at = T;
    for (const holds of steps) {
      const out = advance(memory, holds ? active : none, rule, at);
      memory = out.instances;
      await saveEvaluation(
        db.sql,
        key,
        {
          ...out,
          status: {
            rule: key,
            lastEvaluatedAt: at,
            evaluationMs: 1,
            health: 'ok',
            error: null,
            consecutiveErrors: 0,
          },
        },
        at,
      );
      at += 60_000;
    }
    const restored = await loadInstances(db.sql, key);
    expect(restored).toEqual(memory);
    for (const holds of [true, false]) {
      expect(advance(restored, holds ? active : none, rule, at)).toEqual(
        advance(memory, holds ? active : none, rule, at),
      );
    }
  });
});
