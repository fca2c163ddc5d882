import { formatDecimal, parseDecimal } from '#sdk/pricing';
import { PARAMETER_RANGE, sliceConditions, USAGE_FIGURES, usageSql } from '../analytics/figures.ts';
import { parseDuration } from '../platform/duration.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { type BudgetPeriod, periodAt } from './budget-period.ts';
import type { BudgetShape } from './budget-schema.ts';
import type { Labels } from './labels.ts';
import type { Budget, Rule, RuleGroup } from './rule-types.ts';

export type { Budget } from './rule-types.ts';

/** A group's spend in the current period and, with a forecast, its projection to the period's end. */
export interface BudgetGroupState {
  labels: Labels;
  /** Exact decimals, USD. */
  spent: string;
  projected: string | null;
  remaining: string;
  /** spent / amount, 0…n (4 decimals). */
  spent_share: number;
  /** The warning steps reached, in percent. */
  steps_reached: number[];
}

export interface BudgetState {
  name: string;
  amount: string;
  currency: 'USD';
  period: BudgetPeriod;
  time_zone: string;
  period_start: string;
  period_end: string;
  by: string[];
  where: Record<string, string>;
  warn_at: number[];
  forecast_lookback: string | null;
  groups: BudgetGroupState[];
}

const DAY = 86_400_000;

export function budgetOf(b: BudgetShape, file: string): Budget {
  const defaultLookback = b.period === 'month' ? 7 * DAY : 6 * 3_600_000;
  return {
    name: b.name,
    file,
    amount: b.amount,
    period: b.period,
    timeZone: b.time_zone,
    by: b.by,
    where: b.where,
    steps: [...b.warn_at].sort((x, y) => x - y),
    forecast:
      b.forecast === false
        ? undefined
        : {
            lookbackMs: b.forecast.lookback ? parseDuration(b.forecast.lookback)! : defaultLookback,
            forMs: parseDuration(b.forecast.for)!,
          },
    intervalMs: parseDuration(b.interval)!,
    labels: b.labels,
  };
}

/** The amount × step / 100, exact. */
function stepAmount(amount: string, step: number): string {
  // Steps are percentages with at most 6 decimals in practice: scale them to whole millionths first.
  const millionths = BigInt(Math.round(step * 1_000_000));
  return formatDecimal((parseDecimal(amount) * millionths) / 100_000_000n);
}

function periodWords(b: Budget): string {
  return `this ${b.period} (${b.timeZone})`;
}

/** ` for tenant {{ $labels.tenant }}, service …`: the group in a summary (keys a template can name). */
function groupWords(b: Budget): string {
  const named = b.by.filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  return named.length ? ` for ${named.map((k) => `${k} {{ $labels.${k} }}`).join(', ')}` : '';
}

/**
 * A budget as a rule group `budget:<name>`: one `BudgetSpent` rule per warning step (label `threshold`, e.g. "80%";
 * firing while the period's spend is at or over that share of the amount) and a `BudgetForecast` rule (firing while
 * the projected period-end spend is over the amount, before the spend is).
 */
export function budgetGroup(b: Budget): RuleGroup {
  const base = {
    group: `budget:${b.name}`,
    file: b.file,
    keepFiringForMs: 0,
    noData: 'ok' as const,
    onError: 'keep_last' as const,
  };
  const rules: Rule[] = b.steps.map((step) => ({
    ...base,
    key: `budget:${b.name}/BudgetSpent/${step}`,
    alert: 'BudgetSpent',
    query: { kind: 'budget', budget: b, measure: 'spent' },
    condition: { op: '>=', threshold: stepAmount(b.amount, step) },
    forMs: 0,
    labels: { ...b.labels, threshold: `${step}%` },
    annotations: {
      summary: `Budget {{ $labels.budget }}${groupWords(b)} has spent \${{ $value | fixed 2 }} ${periodWords(b)}: ${step}% of $${b.amount} or more`,
    },
  }));
  if (b.forecast)
    rules.push({
      ...base,
      key: `budget:${b.name}/BudgetForecast`,
      alert: 'BudgetForecast',
      query: { kind: 'budget', budget: b, measure: 'projected' },
      condition: { op: '>', threshold: b.amount },
      forMs: b.forecast.forMs,
      labels: { ...b.labels },
      annotations: {
        summary: `Budget {{ $labels.budget }}${groupWords(b)} is on course for \${{ $value | fixed 2 }} by the end of the ${b.period} (${b.timeZone}) at the rate of the last ${durationWords(b.forecast.lookbackMs)}, over its $${b.amount}`,
      },
    });
  return {
    name: `budget:${b.name}`,
    file: b.file,
    intervalMs: b.intervalMs,
    queryOffsetMs: 10_000,
    queryTimeoutMs: 20_000,
    limit: 0,
    rules,
  };
}

function durationWords(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} days`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`;
  return `${ms / 60_000} minutes`;
}

interface GroupCost {
  labels: Labels;
  cost: bigint;
}

/** Spend per group of the budget over [from, to), from the figures (the hourly rollup where it holds the keys). */
async function costBy(
  client: ClickHouseClient,
  b: Budget,
  from: number,
  to: number,
  abort?: AbortSignal,
): Promise<Map<string, GroupCost>> {
  const where = sliceConditions({ from, to, filters: b.where });
  const rs = await client.query({
    query: usageSql({
      range: PARAMETER_RANGE,
      groupBy: b.by,
      conditions: where.conditions,
      columns: [`${USAGE_FIGURES.cost} AS value`],
      rollup: where.rollupHolds,
    }),
    query_params: where.params,
    format: 'JSONEachRow',
    abort_signal: abort,
  });
  const out = new Map<string, GroupCost>();
  for (const row of await rs.json<Record<string, unknown>>()) {
    const labels: Labels = {};
    for (const k of b.by) labels[k] = String(row[k] ?? '');
    out.set(JSON.stringify(labels), { labels, cost: parseDecimal(String(row.value ?? '0')) });
  }
  return out;
}

/** Every group's state at `at`: spend so far this period and, with a forecast, the projection to its end. */
export async function budgetStateAt(
  client: ClickHouseClient,
  b: Budget,
  at: number,
  options: { forecast?: boolean; abort?: AbortSignal } = {},
): Promise<BudgetState> {
  const { start, end } = periodAt(at, b.period, b.timeZone);
  const abort = options.abort;
  const forecast = options.forecast !== false ? b.forecast : undefined;
  const spent = await costBy(client, b, start, at, abort);
  const recent = forecast ? await costBy(client, b, at - forecast.lookbackMs, at, abort) : new Map();
  const amount = parseDecimal(b.amount);
  const keys = new Set([...spent.keys(), ...recent.keys()]);
  const groups: BudgetGroupState[] = [...keys].sort().map((k) => {
    const labels = (spent.get(k) ?? recent.get(k))!.labels;
    const s = spent.get(k)?.cost ?? 0n;
    const projected = forecast
      ? s + ((recent.get(k)?.cost ?? 0n) * BigInt(end - at)) / BigInt(forecast.lookbackMs)
      : undefined;
    return {
      labels,
      spent: formatDecimal(s),
      projected: projected === undefined ? null : formatDecimal(projected),
      remaining: formatDecimal(amount > s ? amount - s : 0n),
      spent_share: Number((s * 10_000n) / amount) / 10_000,
      steps_reached: b.steps.filter((step) => s >= parseDecimal(stepAmount(b.amount, step))),
    };
  });
  return {
    name: b.name,
    amount: b.amount,
    currency: 'USD',
    period: b.period,
    time_zone: b.timeZone,
    period_start: new Date(start).toISOString(),
    period_end: new Date(end).toISOString(),
    by: b.by,
    where: Object.fromEntries(Object.entries(b.where).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >,
    warn_at: b.steps,
    forecast_lookback: b.forecast ? durationWords(b.forecast.lookbackMs) : null,
    groups,
  };
}

/**
 * The states being computed or just computed (for 5 s), by budget and evaluation time: a budget's rules (one per step
 * and the forecast) run at the same time in one evaluation and read one state.
 */
const recentStates = new Map<string, { state: Promise<BudgetState>; until: number }>();

export function sharedState(
  client: ClickHouseClient,
  b: Budget,
  at: number,
  abort?: AbortSignal,
): Promise<BudgetState> {
  const key = `${b.file}\u0000${b.name}\u0000${at}`;
  const now = Date.now();
  const cached = recentStates.get(key);
  if (cached && cached.until > now) return cached.state;
  const state = budgetStateAt(client, b, at, { abort });
  recentStates.set(key, { state, until: now + 5_000 });
  state.catch(() => recentStates.delete(key));
  if (recentStates.size > 64) recentStates.delete(recentStates.keys().next().value!);
  return state;
}

/** Forgets the shared states (rule tests change the data between tests). */
export function forgetBudgetStates(): void {
  recentStates.clear();
}

/**
 * A budget rule's samples at `at`: each group's spend (BudgetSpent), or its projection while the spend is still under
 * the amount (BudgetForecast: once the spend is over, BudgetSpent at 100% says so).
 */
export async function budgetSamples(
  client: ClickHouseClient,
  b: Budget,
  measure: 'spent' | 'projected',
  at: number,
  abort?: AbortSignal,
): Promise<{ labels: Labels; value: string }[]> {
  const state = await sharedState(client, b, at, abort);
  const amount = parseDecimal(b.amount);
  return state.groups.flatMap((g) => {
    const labels = { budget: b.name, ...g.labels };
    if (measure === 'spent') return [{ labels, value: g.spent }];
    if (g.projected === null || parseDecimal(g.spent) >= amount) return [];
    return [{ labels, value: g.projected }];
  });
}

/** The budgets behind these rule groups (each once). */
export function budgetsOf(groups: readonly RuleGroup[]): Budget[] {
  const seen = new Map<string, Budget>();
  for (const g of groups)
    for (const r of g.rules) if (r.query.kind === 'budget') seen.set(r.query.budget.name, r.query.budget);
  return [...seen.values()];
}
