import type { PriceCatalog, PriceTier } from './catalog.ts';
import { costOfTokens, formatDecimal } from './decimal.ts';
import type { UsageBuckets } from './usage.ts';

export type CostResult =
  | {
      status: 'priced';
      /** Exact decimal string, e.g. "0.000225". */
      amount: string;
      currency: string;
      priceId: string;
      tier: number;
      breakdown: { input: string; cache_read: string; output: string };
    }
  | { status: 'unpriced'; reason: string };

/**
 * Prices disjoint usage buckets with the entry valid for this provider, model and time. No price, or a bucket
 * with tokens but no price, is `unpriced` — never a silent zero.
 */
export function computeCost(
  catalog: PriceCatalog,
  call: { provider: string; model: string; usage: UsageBuckets; at: number },
): CostResult {
  const entry = catalog.find(call.provider, call.model, call.at);
  if (!entry)
    return { status: 'unpriced', reason: `no price for model '${call.model}' (provider '${call.provider}')` };
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
  if (call.usage.cacheRead > 0 && tier.cacheRead === undefined) {
    return {
      status: 'unpriced',
      reason: `${entry.id} has no cache-read price but the call read ${call.usage.cacheRead} cached tokens`,
    };
  }
  const u = call.usage;
  const p = tier.perToken;
  // Whole pico-units per bucket: exact in a double below 2^53 (billions of tokens at today's prices); BigInt beyond.
  const parts = [u.inputUncached * p.input, u.cacheRead * p.cacheRead, u.output * p.output];
  const fast = parts[0]! + parts[1]! + parts[2]!;
  const exact = Number.isSafeInteger(fast);
  const total = exact
    ? fast
    : costOfTokens(u.inputUncached, tier.input) +
      costOfTokens(u.cacheRead, tier.cacheRead ?? 0n) +
      costOfTokens(u.output, tier.output);
  return new PricedCost(
    formatDecimal(total),
    entry.currency,
    entry.id,
    tierIndex,
    exact ? parts : undefined,
    u,
    tier,
  );
}

/** A priced call. Its breakdown is formatted only when read (the sdk's hot path needs the total alone), by a getter on the prototype rather than one made per call. */
class PricedCost {
  readonly status = 'priced';
  readonly amount: string;
  readonly currency: string;
  readonly priceId: string;
  readonly tier: number;
  readonly #parts: number[] | undefined;
  readonly #usage: UsageBuckets;
  readonly #prices: PriceTier;

  constructor(
    amount: string,
    currency: string,
    priceId: string,
    tier: number,
    parts: number[] | undefined,
    usage: UsageBuckets,
    prices: PriceTier,
  ) {
    this.amount = amount;
    this.currency = currency;
    this.priceId = priceId;
    this.tier = tier;
    this.#parts = parts;
    this.#usage = usage;
    this.#prices = prices;
  }

  get breakdown(): { input: string; cache_read: string; output: string } {
    const u = this.#usage;
    const p = this.#prices;
    const [input, cacheRead, output] = this.#parts ?? [
      costOfTokens(u.inputUncached, p.input),
      costOfTokens(u.cacheRead, p.cacheRead ?? 0n),
      costOfTokens(u.output, p.output),
    ];
    return {
      input: formatDecimal(input!),
      cache_read: formatDecimal(cacheRead!),
      output: formatDecimal(output!),
    };
  }

  /** As JSON: every field, the breakdown included. */
  toJSON() {
    const { status, amount, currency, priceId, tier, breakdown } = this;
    return { status, amount, currency, priceId, tier, breakdown };
  }
}
