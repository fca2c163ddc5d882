import { z } from 'zod';
import { USAGE_FIGURES, type UsageFigure } from '../analytics/figures.ts';
import { parseDuration } from '../platform/duration.ts';
import type { Guard } from './guards.ts';
import type { Step } from './state-machine.ts';

/**
 * What starting a rollout takes, and the defaults: three steps of five minutes (10 %, 25 %, 50 % of the label's
 * traffic on the candidate, then 100 %), judged over the last five minutes by two guards — the error rate may not
 * rise by more than 2 percentage points where a two-proportion test says it is not noise, and p95 latency may not
 * grow by more than half — each once both versions have 30 calls in the window.
 */
export const DEFAULT_STEPS = [
  { weight: 10, hold: '5m' },
  { weight: 25, hold: '5m' },
  { weight: 50, hold: '5m' },
];
export const DEFAULT_GUARDS = [
  { figure: 'error_rate' as const, max_increase: 0.02, significance: true, min_calls: 30 },
  { figure: 'p95_ms' as const, max_ratio: 1.5, min_calls: 30 },
];
export const DEFAULT_WINDOW = '5m';

const duration = (example: string, maxMs: number) =>
  z.string({ error: `a duration like ${example}` }).refine(
    (t) => {
      const ms = parseDuration(t);
      return ms !== undefined && ms >= 1000 && ms <= maxMs;
    },
    `a duration like ${example}, at most ${maxMs / 86_400_000} days`,
  );

const figure = z.enum(Object.keys(USAGE_FIGURES) as [UsageFigure, ...UsageFigure[]], {
  error: `one of ${Object.keys(USAGE_FIGURES).join(', ')}`,
});

const guardSchema = z
  .strictObject({
    figure,
    max_increase: z.number().nonnegative().optional().describe('candidate − control may not exceed this'),
    max_ratio: z.number().positive().optional().describe('candidate ÷ control may not exceed this'),
    min_calls: z.int().min(1).max(1_000_000).default(30).describe('calls each version needs in the window'),
    significance: z
      .boolean()
      .optional()
      .describe(
        'error_rate only: break only when a two-proportion z-test gives p < 0.05 (default true for it)',
      ),
  })
  .refine((g) => g.max_increase !== undefined || g.max_ratio !== undefined, {
    error: 'give max_increase, max_ratio or both',
  });

export const rolloutRequestSchema = z.strictObject({
  template: z.string().min(1).max(200),
  label: z.string().min(1).max(100).default('production'),
  candidate: z.string().min(1).max(100).describe('the version to roll out'),
  steps: z
    .array(
      z.strictObject({
        weight: z.int().min(1).max(99).describe("the candidate's share, in percent"),
        hold: duration('5m', 7 * 86_400_000).describe('how long the step holds before the next'),
      }),
    )
    .min(1)
    .max(20)
    .refine(
      (s) => s.every((step, i) => i === 0 || step.weight > s[i - 1]!.weight),
      'weights must grow step by step',
    )
    .default(DEFAULT_STEPS),
  guards: z.array(guardSchema).max(20).default(DEFAULT_GUARDS),
  window: duration('5m', 86_400_000).default(DEFAULT_WINDOW).describe('how far back the guards compare'),
  reason: z.string().max(500).default(''),
});

export type RolloutRequest = z.output<typeof rolloutRequestSchema>;

export function stepsOf(r: RolloutRequest): Step[] {
  return r.steps.map((s) => ({ weight: s.weight, holdMs: parseDuration(s.hold)! }));
}

export function guardsOf(r: RolloutRequest): Guard[] {
  return r.guards.map((g) => ({
    figure: g.figure,
    maxIncrease: g.max_increase,
    maxRatio: g.max_ratio,
    minCalls: g.min_calls,
    significance: g.significance ?? g.figure === 'error_rate',
  }));
}
