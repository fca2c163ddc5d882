/**
 * `@promptscope/sdk/pricing`: the price catalog and exact cost arithmetic (decimal strings, never floats), for
 * services and for the promptscope server and collector alike.
 */

export type { CatalogOptions, PriceEntry, PriceEntryInput, PriceTier, PriceTierInput } from './catalog.ts';
export { canonicalProvider, loadPriceCatalog, PROVIDER_ALIASES, PriceCatalog } from './catalog.ts';
export type { CostBreakdown, CostResult } from './cost.ts';
export { computeCost } from './cost.ts';
export { formatDecimal, parseDecimal, SCALE_DIGITS } from './decimal.ts';
export type { GeminiUsageMetadata, UsageBuckets } from './usage.ts';
export { bucketsFromGemini, bucketsFromSemconv } from './usage.ts';
