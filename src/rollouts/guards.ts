import { ALPHA } from '../analytics/ab.ts';
import type { UsageFigure } from '../analytics/figures.ts';
import { twoProportionP } from '../analytics/statistics.ts';

/**
 * A guard compares the candidate version with the control on one figure over the rollout's window: it breaks when the
 * candidate is worse by more than its limit — an absolute one (`max_increase`: candidate − control) or a relative one
 * (`max_ratio`: candidate ÷ control) — and, for the error rate with `significance`, only when a two-proportion z-test
 * (the A/B module's) says the difference is not noise (p < 0.05). It may not judge before both versions have
 * `min_calls` calls in the window.
 */
export interface Guard {
  figure: UsageFigure;
  maxIncrease: number | undefined;
  maxRatio: number | undefined;
  minCalls: number;
  significance: boolean;
}

/** One version's figures over the window. */
export interface VersionFigures {
  calls: number;
  errors: number;
  values: Partial<Record<UsageFigure, number | string | null>>;
}

export type GuardOutcome = 'pass' | 'breach' | 'not_enough_calls';

export interface GuardResult {
  figure: UsageFigure;
  outcome: GuardOutcome;
  candidate: number | null;
  control: number | null;
  candidate_calls: number;
  control_calls: number;
  /** The two-proportion test's p-value, where the guard asks for significance. */
  p_value: number | null;
  /** The limit as people read it: `+0.02`, `×1.5`. */
  limit: string;
}

/** Figures where less is worse (a guard on them breaks on a drop). */
const LOWER_IS_WORSE = new Set<UsageFigure>(['success_rate', 'successes']);

export function limitText(g: Pick<Guard, 'maxIncrease' | 'maxRatio'>): string {
  return [
    g.maxIncrease === undefined ? '' : `+${g.maxIncrease}`,
    g.maxRatio === undefined ? '' : `×${g.maxRatio}`,
  ]
    .filter(Boolean)
    .join(' or ');
}

const numberOf = (v: number | string | null | undefined) =>
  v === null || v === undefined || v === '' ? null : Number(v);

/** How one guard judges the candidate against the control. */
export function judge(guard: Guard, candidate?: VersionFigures, control?: VersionFigures): GuardResult {
  const c = numberOf(candidate?.values[guard.figure]);
  const k = numberOf(control?.values[guard.figure]);
  const base = {
    figure: guard.figure,
    candidate: c,
    control: k,
    candidate_calls: candidate?.calls ?? 0,
    control_calls: control?.calls ?? 0,
    p_value: null as number | null,
    limit: limitText(guard),
  };
  if (
    !candidate ||
    !control ||
    candidate.calls < guard.minCalls ||
    control.calls < guard.minCalls ||
    c === null ||
    k === null
  )
    return { ...base, outcome: 'not_enough_calls' };
  const worse = LOWER_IS_WORSE.has(guard.figure) ? k - c : c - k;
  const byIncrease = guard.maxIncrease !== undefined && worse > guard.maxIncrease;
  const ratio = LOWER_IS_WORSE.has(guard.figure) ? (c > 0 ? k / c : null) : k > 0 ? c / k : null;
  const byRatio = guard.maxRatio !== undefined && ratio !== null && ratio > guard.maxRatio;
  let breach = byIncrease || byRatio;
  if (guard.significance && guard.figure === 'error_rate') {
    const p = twoProportionP(candidate.errors, candidate.calls, control.errors, control.calls);
    base.p_value = p === null ? null : Math.round(p * 1e8) / 1e8;
    breach = breach && p !== null && p < ALPHA;
  }
  return { ...base, outcome: breach ? 'breach' : 'pass' };
}

/** A judgement as people read it: `error_rate 0.11 vs 0.02 (limit +0.02, p=0.0004)`. */
export function describeResult(r: GuardResult): string {
  const p = r.p_value === null ? '' : `, p=${r.p_value}`;
  return `${r.figure} ${r.candidate} vs ${r.control} (limit ${r.limit}${p}; ${r.candidate_calls} vs ${r.control_calls} calls)`;
}
