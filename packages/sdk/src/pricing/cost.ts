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
  return {
    status: 'priced',
    amount: formatDecimal(total),
    currency: entry.currency,
    priceId: entry.id,
    tier: tierIndex,
    // Formatted only when read: the sdk's hot path needs the total alone.
    get breakdown() {
      const [input, cacheRead, output] = exact
        ? parts
        : [
            costOfTokens(u.inputUncached, tier.input),
            costOfTokens(u.cacheRead, tier.cacheRead ?? 0n),
            costOfTokens(u.output, tier.output),
          ];
      return {
        input: formatDecimal(input!),
        cache_read: formatDecimal(cacheRead!),
        output: formatDecimal(output!),
      };
    },
  };
}
