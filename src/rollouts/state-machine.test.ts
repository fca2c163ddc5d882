import { describe, expect, it } from 'vitest';
import { type Guard, type GuardResult, judge } from './guards.ts';
import { decide, type RolloutProgress, type RolloutState } from './state-machine.ts';

const MIN = 60_000;
const STEPS = [
  { weight: 10, holdMs: 5 * MIN },
  { weight: 25, holdMs: 5 * MIN },
  { weight: 50, holdMs: 5 * MIN },
];
const T0 = Date.parse('2026-12-01T10:00:00Z');
const result = (outcome: GuardResult['outcome']): GuardResult => ({
  figure: 'error_rate',
  outcome,
  candidate: 0.1,
  control: 0.02,
  candidate_calls: 100,
  control_calls: 900,
  p_value: 0.001,
  limit: '+0.02',
});
const at = (state: RolloutState, step: number): RolloutProgress => ({
  state,
  step,
  stepStartedAt: T0,
  steps: STEPS,
});

describe('a rollout’s next move', () => {
  it.each([
    // state, step, minutes since the step began, guard outcomes → decision
    ['running', 0, 1, ['pass', 'pass'], { kind: 'wait', why: 'holding' }],
    ['running', 0, 5, ['pass', 'pass'], { kind: 'step', step: 1, weight: 25 }],
    ['running', 1, 5, ['pass', 'pass'], { kind: 'step', step: 2, weight: 50 }],
    ['running', 2, 5, ['pass', 'pass'], { kind: 'promote' }],
    ['running', 2, 4.99, ['pass', 'pass'], { kind: 'wait', why: 'holding' }],
    // Not enough calls to judge: the step holds, however long
    ['running', 0, 60, ['pass', 'not_enough_calls'], { kind: 'wait', why: 'not_enough_calls' }],
    ['running', 0, 60, ['not_enough_calls', 'not_enough_calls'], { kind: 'wait', why: 'not_enough_calls' }],
    // A breach rolls back at once, at any step, held or not, whatever the other guard says
    ['running', 0, 0, ['breach', 'pass'], { kind: 'rollback' }],
    ['running', 1, 3, ['pass', 'breach'], { kind: 'rollback' }],
    ['running', 2, 9, ['breach', 'not_enough_calls'], { kind: 'rollback' }],
    // Only a running rollout moves
    ['paused', 1, 60, ['breach', 'pass'], { kind: 'none' }],
    ['paused', 1, 60, ['pass', 'pass'], { kind: 'none' }],
    ['promoted', 3, 60, ['breach', 'pass'], { kind: 'none' }],
    ['rolled_back', 0, 60, ['pass', 'pass'], { kind: 'none' }],
    ['aborted', 1, 60, ['pass', 'pass'], { kind: 'none' }],
  ] as const)('%s at step %d, %d min in, guards %j → %j', (state, step, minutes, outcomes, expected) => {
    const decision = decide(at(state, step), T0 + minutes * MIN, outcomes.map(result));
    expect(decision).toMatchObject(expected);
  });

  it.each(['running', 'paused', 'promoted', 'rolled_back', 'aborted'] as const)(
    'restarted in state %s, a scheduler decides from what Postgres holds: the same move at the same time',
    (state) => {
      const stored = JSON.parse(JSON.stringify(at(state, 1))) as RolloutProgress;
      for (const outcomes of [
        ['pass', 'pass'],
        ['breach', 'pass'],
        ['not_enough_calls', 'pass'],
      ] as const)
        expect(decide(stored, T0 + 7 * MIN, outcomes.map(result))).toEqual(
          decide(at(state, 1), T0 + 7 * MIN, outcomes.map(result)),
        );
    },
  );
});

describe('a guard’s judgement', () => {
  const errorRate: Guard = {
    figure: 'error_rate',
    maxIncrease: 0.02,
    maxRatio: undefined,
    minCalls: 30,
    significance: true,
  };
  const latency: Guard = {
    figure: 'p95_ms',
    maxIncrease: undefined,
    maxRatio: 1.5,
    minCalls: 30,
    significance: false,
  };
  const v = (calls: number, errors: number, values: Record<string, number | string | null> = {}) => ({
    calls,
    errors,
    values: { error_rate: errors / calls, ...values },
  });

  it.each([
    ['candidate errs much more, enough calls: breach', errorRate, v(100, 11), v(900, 18), 'breach'],
    ['candidate errs 2 points more: the limit, not over it', errorRate, v(100, 4), v(1000, 20), 'pass'],
    // 3 of 40 vs 1 of 40: over the limit, but a two-proportion test cannot tell it from noise
    ['over the limit but not significant: pass', errorRate, v(40, 3), v(40, 1), 'pass'],
    ['too few candidate calls', errorRate, v(29, 29), v(900, 0), 'not_enough_calls'],
    ['too few control calls', errorRate, v(100, 50), v(10, 0), 'not_enough_calls'],
    [
      'p95 1.6× the control: breach',
      latency,
      v(50, 0, { p95_ms: 1600 }),
      v(500, 0, { p95_ms: 1000 }),
      'breach',
    ],
    ['p95 1.5× the control: pass', latency, v(50, 0, { p95_ms: 1500 }), v(500, 0, { p95_ms: 1000 }), 'pass'],
    ['a faster candidate: pass', latency, v(50, 0, { p95_ms: 500 }), v(500, 0, { p95_ms: 1000 }), 'pass'],
  ] as const)('%s', (_case, guard, candidate, control, outcome) => {
    expect(judge(guard, candidate, control).outcome).toBe(outcome);
  });

  it('a falling success rate is what breaks a success-rate guard', () => {
    const success: Guard = {
      figure: 'success_rate',
      maxIncrease: 0.05,
      maxRatio: undefined,
      minCalls: 10,
      significance: false,
    };
    expect(judge(success, v(100, 0, { success_rate: 0.9 }), v(100, 0, { success_rate: 0.99 })).outcome).toBe(
      'breach',
    );
    expect(judge(success, v(100, 0, { success_rate: 1 }), v(100, 0, { success_rate: 0.9 })).outcome).toBe(
      'pass',
    );
  });

  it('says what it compared, for the label history and the alert', () => {
    expect(judge(errorRate, v(100, 11), v(900, 18))).toMatchObject({
      candidate: 0.11,
      control: 0.02,
      candidate_calls: 100,
      control_calls: 900,
      limit: '+0.02',
      p_value: expect.any(Number),
    });
  });
});
