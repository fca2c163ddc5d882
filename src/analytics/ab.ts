import { formatDecimal, parseDecimal } from '#sdk/pricing';
import { DomainError } from '../domain-error.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { QUERY_SETTINGS, type Query, runQuery, type Slice, sliceWhere } from './figures.ts';
import { twoProportionP, welchP, wilson95 } from './statistics.ts';

/** The significance level of every comparison. */
export const ALPHA = 0.05;

interface VariantRow {
  variant: string;
  calls: number;
  errors: number;
  p95_ms: number;
  cost: string;
  cost_per_call: string;
  cost_mean: number;
  cost_variance: number;
  tokens_mean: number;
  tokens_variance: number;
}

export interface Comparison<D = number> {
  /** This variant's value minus the control's (money as an exact decimal string, like every cost). */
  difference: D;
  p_value: number | null;
  significant: boolean;
  test: string;
}

export interface VariantFigures {
  variant: string;
  calls: number;
  errors: number;
  error_rate: number;
  /** 95% Wilson score interval of the error rate. */
  error_rate_ci95: [number, number];
  p95_ms: number;
  cost: string;
  cost_per_call: string;
  tokens_per_call: number;
  /** Against the control variant (absent on the control itself). */
  vs_control?: {
    error_rate: Comparison;
    cost_per_call: Comparison<string>;
    tokens_per_call: Comparison;
    p95_ms: { difference: number; test: string };
  };
}

export interface AbComparison {
  control: string | null;
  alpha: number;
  variants: VariantFigures[];
}

const compare = <D>(difference: D, p: number | null, test: string): Comparison<D> => ({
  difference,
  p_value: p,
  significant: p !== null && p < ALPHA,
  test,
});

/**
 * Compares the variants of a split with the control (the one named, else the first in order): error rate by a
 * two-proportion z-test, cost and tokens per call by Welch's t-test, each two-sided at α = 0.05. The p95 latency
 * difference is reported without a test (quantiles need the raw durations; a later version may bootstrap).
 */
export async function compareVariants(
  client: ClickHouseClient,
  slice: Slice,
  control?: string,
): Promise<AbComparison> {
  const rows = await runQuery<VariantRow>(client, abQuery(slice));
  const named = control === undefined ? undefined : rows.find((r) => r.variant === control);
  if (control !== undefined && !named && rows.length > 0)
    throw new DomainError('validation_failed', 'invalid query', {
      fields: [
        {
          field: 'control',
          message: `no variant '${control.slice(0, 40)}' served in this range: ${rows.map((r) => r.variant).join(', ')}`,
        },
      ],
    });
  const base = named ?? rows[0];
  const variants = rows.map((r): VariantFigures => {
    const figures: VariantFigures = {
      variant: r.variant,
      calls: r.calls,
      errors: r.errors,
      error_rate: round(r.errors / r.calls),
      error_rate_ci95: wilson95(r.errors, r.calls)!.map((x) => round(x)) as [number, number],
      p95_ms: r.p95_ms,
      cost: r.cost,
      cost_per_call: r.cost_per_call,
      tokens_per_call: round(r.tokens_mean),
    };
    if (base && r !== base) {
      const sample = (x: VariantRow, kind: 'cost' | 'tokens') => ({
        n: x.calls,
        mean: x[`${kind}_mean`],
        variance: x[`${kind}_variance`],
      });
      figures.vs_control = {
        error_rate: compare(
          round(r.errors / r.calls - base.errors / base.calls),
          roundP(twoProportionP(r.errors, r.calls, base.errors, base.calls)),
          'two-proportion z-test (pooled, two-sided)',
        ),
        cost_per_call: compare(
          formatDecimal(parseDecimal(r.cost_per_call) - parseDecimal(base.cost_per_call)),
          roundP(welchP(sample(r, 'cost'), sample(base, 'cost'))),
          "Welch's t-test (two-sided)",
        ),
        tokens_per_call: compare(
          round(r.tokens_mean - base.tokens_mean),
          roundP(welchP(sample(r, 'tokens'), sample(base, 'tokens'))),
          "Welch's t-test (two-sided)",
        ),
        p95_ms: { difference: round(r.p95_ms - base.p95_ms, 3), test: 'not tested' },
      };
    }
    return figures;
  });
  return { control: base?.variant ?? null, alpha: ALPHA, variants };
}

function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function roundP(p: number | null): number | null {
  return p === null ? null : round(p, 8);
}

/**
 * Per-variant figures of an A/B split (calls that recorded `promptscope.prompt.variant`): calls, errors, p95
 * latency, cost (exact total and per call) and, for the significance tests, the mean and sample variance of cost
 * and tokens (input + output) per call.
 */
export function abQuery(slice: Slice): Query {
  const where = sliceWhere(slice);
  const cost = 'ifNull(cost_amount, toDecimal64(0, 12))';
  return {
    sql: `SELECT prompt_variant AS variant,
        toUInt64(count()) AS calls,
        toUInt64(countIf(success = 0)) AS errors,
        round(quantileExactLow(0.95)(duration_ns) / 1e6, 3) AS p95_ms,
        toString(sum(${cost})) AS cost,
        toString(sum(${cost}) / count()) AS cost_per_call,
        avg(toFloat64(${cost})) AS cost_mean,
        ifNotFinite(varSamp(toFloat64(${cost})), 0) AS cost_variance,
        avg(input_tokens + output_tokens) AS tokens_mean,
        ifNotFinite(varSamp(toFloat64(input_tokens + output_tokens)), 0) AS tokens_variance
      FROM llm_calls FINAL
      WHERE ${where.sql} AND prompt_variant != ''
      GROUP BY variant ORDER BY variant
      ${QUERY_SETTINGS}`,
    params: where.params,
  };
}
