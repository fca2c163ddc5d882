import type { GuardResult } from './guards.ts';

/**
 * A rollout's next move, from its state, the time and what its guards say (pure; the job applies it):
 * - a guard breaks → roll back (the label to the control at once), whatever the step;
 * - the step has not been held long enough, or a guard cannot judge yet (too few calls) → wait;
 * - every guard passes after the hold → the next step, or after the last one, promote the candidate.
 * Only a running rollout moves: paused, promoted, rolled back and aborted ones wait for a person.
 */
export type RolloutState = 'running' | 'paused' | 'promoted' | 'rolled_back' | 'aborted';

export interface Step {
  /** The candidate's share of the label's traffic, 1…99 (100 is the promotion after the last step). */
  weight: number;
  holdMs: number;
}

export interface RolloutProgress {
  state: RolloutState;
  step: number;
  stepStartedAt: number;
  steps: readonly Step[];
}

export type Decision =
  | { kind: 'none' }
  | { kind: 'wait'; why: 'holding' | 'not_enough_calls' }
  | { kind: 'rollback'; breached: GuardResult[] }
  | { kind: 'step'; step: number; weight: number }
  | { kind: 'promote' };

export function decide(r: RolloutProgress, now: number, results: readonly GuardResult[]): Decision {
  if (r.state !== 'running') return { kind: 'none' };
  const breached = results.filter((g) => g.outcome === 'breach');
  if (breached.length) return { kind: 'rollback', breached };
  const step = r.steps[r.step];
  if (!step) return { kind: 'promote' };
  if (now - r.stepStartedAt < step.holdMs) return { kind: 'wait', why: 'holding' };
  if (results.some((g) => g.outcome === 'not_enough_calls')) return { kind: 'wait', why: 'not_enough_calls' };
  const next = r.steps[r.step + 1];
  return next ? { kind: 'step', step: r.step + 1, weight: next.weight } : { kind: 'promote' };
}

/** What a person may do by hand in each state. */
export const MANUAL: Record<'pause' | 'resume' | 'abort', readonly RolloutState[]> = {
  pause: ['running'],
  resume: ['paused'],
  abort: ['running', 'paused'],
};
