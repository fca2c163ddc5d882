import { type PriceCatalog, standardTier } from './catalog.ts';
import { costOfTokens, formatDecimal } from './decimal.ts';
import type { PriceEntry, PriceTier } from './price-entry.ts';
import type { UsageBuckets } from './usage.ts';

export interface CostBreakdown {
  input: string;
  cache_read: string;
  cache_write: string;
  output: string;
  reasoning: string;
}

export type CostResult =
  | {
      status: 'priced';
      /** Exact decimal string, e.g. "0.000225". */
      amount: string;
      currency: string;
      priceId: string;
      /** The catalog that priced it: a deployment's file, `promptscope@…` or the reference data's version. */
      catalog: string;
      tier: number;
      breakdown: CostBreakdown;
    }
  | { status: 'unpriced'; reason: string };

/**
 * Prices disjoint usage buckets with the entry valid for this provider, model and time. No price, or a bucket
 * with tokens but no price, is `unpriced` — never a silent zero.
 */
export function computeCost(
  catalog: PriceCatalog,
  call: { provider: string; model: string; usage: UsageBuckets; at: number; serviceTier?: string },
): CostResult {
  const entry = catalog.find(call.provider, call.model, call.at, call.serviceTier);
  if (!entry) {
    const tier = standardTier(call.serviceTier);
    return {
      status: 'unpriced',
      reason: `no ${tier ? `'${tier}' service tier ` : ''}price for model '${call.model}' (provider '${call.provider}')`,
    };
  }
  const tierIndex = entry.tiers.findIndex(
    (t) => t.upToPromptTokens === undefined || call.usage.promptTotal <= t.upToPromptTokens,
  );
  if (tierIndex === -1) {
    return {
      status: 'unpriced',
      reason: `${entry.id} has no tier for ${call.usage.promptTotal} prompt tokens`,
    };
  }
  const tier = entry.tiers[tierIndex] as PriceTier;
  const u = call.usage;
  if (u.cacheRead > 0 && tier.cacheRead === undefined) {
    return {
      status: 'unpriced',
      reason: `${entry.id} has no cache-read price but the call read ${u.cacheRead} cached tokens`,
    };
  }
  if (u.cacheWrite > 0 && tier.cacheWrite === undefined) {
    return {
      status: 'unpriced',
      reason: `${entry.id} has no cache-write price but the call wrote ${u.cacheWrite} tokens to a cache`,
    };
  }
  const p = tier.perToken;
  // Reasoning is its own bucket only where the model prices it apart; elsewhere it is output like the rest.
  const reasoning = tier.reasoning === undefined ? 0 : Math.min(u.reasoning, u.output);
  const counts = [u.inputUncached, u.cacheRead, u.cacheWrite, u.output - reasoning, reasoning];
  const prices = [p.input, p.cacheRead, p.cacheWrite, p.output, p.reasoning];
  // Whole pico-units per bucket: exact in a double below 2^53 (billions of tokens at today's prices); BigInt beyond.
  const parts = counts.map((c, i) => c * prices[i]!);
  const fast = parts.reduce((a, b) => a + b, 0);
  const exact = Number.isSafeInteger(fast);
  const total = exact ? fast : exactParts(counts, tier).reduce((a, b) => a + b, 0n);
  return new PricedCost(formatDecimal(total), entry, tierIndex, exact ? parts : undefined, counts, tier);
}

function exactParts(counts: number[], tier: PriceTier): bigint[] {
  const prices = [tier.input, tier.cacheRead, tier.cacheWrite, tier.output, tier.reasoning ?? tier.output];
  return counts.map((c, i) => costOfTokens(c, prices[i] ?? 0n));
}

/** A priced call. Its breakdown is formatted only when read (the sdk's hot path needs the total alone), by a getter on the prototype rather than one made per call. */
class PricedCost {
  readonly status = 'priced';
  readonly amount: string;
  readonly currency: string;
  readonly priceId: string;
  readonly catalog: string;
  readonly tier: number;
  readonly #parts: number[] | undefined;
  readonly #counts: number[];
  readonly #prices: PriceTier;

  constructor(
    amount: string,
    entry: PriceEntry,
    tier: number,
    parts: number[] | undefined,
    counts: number[],
    prices: PriceTier,
  ) {
    this.amount = amount;
    this.currency = entry.currency;
    this.priceId = entry.id;
    this.catalog = entry.catalog;
    this.tier = tier;
    this.#parts = parts;
    this.#counts = counts;
    this.#prices = prices;
  }

  get breakdown(): CostBreakdown {
    const [input, cacheRead, cacheWrite, output, reasoning] = (
      this.#parts ?? exactParts(this.#counts, this.#prices)
    ).map((x) => formatDecimal(x));
    return {
      input: input!,
      cache_read: cacheRead!,
      cache_write: cacheWrite!,
      output: output!,
      reasoning: reasoning!,
    };
  }

  /** As JSON: every field, the breakdown included. */
  toJSON() {
    const { status, amount, currency, priceId, catalog, tier, breakdown } = this;
    return { status, amount, currency, priceId, catalog, tier, breakdown };
  }
}
