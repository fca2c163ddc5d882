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
  const tierIndex = tierFor(entry.tiers, call.usage.promptTotal);
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
  const reasoning = reasoningPricedApart(u, tier);
  // Whole pico-units: exact in a double below 2^53 (billions of tokens at today's prices); BigInt beyond.
  const fast =
    u.inputUncached * p.input +
    u.cacheRead * p.cacheRead +
    u.cacheWrite * p.cacheWrite +
    (u.output - reasoning) * p.output +
    reasoning * p.reasoning;
  const total = Number.isSafeInteger(fast) ? fast : exactParts(u, tier).reduce((x, y) => x + y, 0n);
  return new PricedCost(formatDecimal(total), entry, tierIndex, u, tier);
}

/** The first tier whose prompt-size limit the call is within, or -1. */
function tierFor(tiers: readonly PriceTier[], promptTokens: number): number {
  for (let i = 0; i < tiers.length; i++) {
    const limit = tiers[i]!.upToPromptTokens;
    if (limit === undefined || promptTokens <= limit) return i;
  }
  return -1;
}

/** Reasoning is its own bucket only where the model prices it apart; elsewhere it is output like the rest. */
function reasoningPricedApart(u: UsageBuckets, tier: PriceTier): number {
  return tier.reasoning === undefined ? 0 : Math.min(u.reasoning, u.output);
}

/** Each bucket's cost, exact: input, cache read, cache write, output, reasoning. */
function exactParts(u: UsageBuckets, tier: PriceTier): bigint[] {
  const reasoning = reasoningPricedApart(u, tier);
  return [
    costOfTokens(u.inputUncached, tier.input),
    costOfTokens(u.cacheRead, tier.cacheRead ?? 0n),
    costOfTokens(u.cacheWrite, tier.cacheWrite ?? 0n),
    costOfTokens(u.output - reasoning, tier.output),
    costOfTokens(reasoning, tier.reasoning ?? tier.output),
  ];
}

/** A priced call. Its breakdown is formatted only when read (the sdk's hot path needs the total alone), by a getter on the prototype rather than one made per call. */
class PricedCost {
  readonly status = 'priced';
  readonly amount: string;
  readonly currency: string;
  readonly priceId: string;
  readonly catalog: string;
  readonly tier: number;
  readonly #usage: UsageBuckets;
  readonly #prices: PriceTier;

  constructor(amount: string, entry: PriceEntry, tier: number, usage: UsageBuckets, prices: PriceTier) {
    this.amount = amount;
    this.currency = entry.currency;
    this.priceId = entry.id;
    this.catalog = entry.catalog;
    this.tier = tier;
    this.#usage = usage;
    this.#prices = prices;
  }

  get breakdown(): CostBreakdown {
    const [input, cacheRead, cacheWrite, output, reasoning] = exactParts(this.#usage, this.#prices).map((x) =>
      formatDecimal(x),
    );
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
