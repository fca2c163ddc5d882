import type { Key, UsageFigure } from '../analytics/figures.ts';
import type { BudgetPeriod } from './budget-period.ts';
import type { Labels } from './labels.ts';
import type { ERROR_STATES, NO_DATA_STATES } from './rule-file-schema.ts';

/** What a loaded rule file holds: groups of rules, each with its query, condition, hold times and templates. */

export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';

export interface Condition {
  op: Comparison;
  /** As written: compared exactly as a decimal when the value is one (cost), else as a number. */
  threshold: string;
}

export type RuleQuery =
  | {
      kind: 'figure';
      figure: UsageFigure;
      /** Milliseconds before the evaluation time, or 'today' (since UTC midnight). */
      window: number | 'today';
      by: Key[];
      where: Partial<Record<Key, string>>;
      minCalls: number;
    }
  | { kind: 'sql'; sql: string }
  | { kind: 'metric'; metric: string; increaseMs: number | undefined }
  /** A budget's spend this period, or its projection to the period's end (budgets.ts). */
  | { kind: 'budget'; budget: Budget; measure: 'spent' | 'projected' };

export type NoDataState = (typeof NO_DATA_STATES)[number];
export type ErrorState = (typeof ERROR_STATES)[number];

export interface Rule {
  /** `<group>/<alert>`: the rule's identity in state, history and the API. */
  key: string;
  alert: string;
  group: string;
  file: string;
  query: RuleQuery;
  condition: Condition;
  forMs: number;
  keepFiringForMs: number;
  /** Rule labels over group labels (templated with the instance's labels and value). */
  labels: Labels;
  annotations: Labels;
  noData: NoDataState;
  onError: ErrorState;
}

export interface RuleGroup {
  name: string;
  file: string;
  intervalMs: number;
  /** The evaluation reads data up to this long before now: spans still in a collector's spool are not "no calls". */
  queryOffsetMs: number;
  queryTimeoutMs: number;
  /** At most this many instances per rule (0 = no limit); over it, the rule fails and keeps its last state. */
  limit: number;
  rules: Rule[];
}

export interface Budget {
  name: string;
  file: string;
  /** USD per period, as written. */
  amount: string;
  period: BudgetPeriod;
  timeZone: string;
  by: Key[];
  where: Partial<Record<Key, string>>;
  /** Percentages of the amount, ascending. */
  steps: number[];
  /** How far back the recent rate is measured, and how long a projection must hold; none: no forecast. */
  forecast: { lookbackMs: number; forMs: number } | undefined;
  intervalMs: number;
  labels: Labels;
}
