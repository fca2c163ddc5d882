/** A price as the catalogs hold it, parsed: exact amounts per 1M tokens and per token. */
export interface PriceTier {
  upToPromptTokens: number | undefined;
  input: bigint;
  cacheRead: bigint | undefined;
  cacheWrite: bigint | undefined;
  output: bigint;
  /** Undefined where reasoning is priced as output. */
  reasoning: bigint | undefined;
  /** The same prices in whole pico-units per token (reasoning at the output price where it has none). */
  perToken: { input: number; cacheRead: number; cacheWrite: number; output: number; reasoning: number };
}

export interface PriceEntry {
  id: string;
  providers: string[];
  models: string[];
  pattern: RegExp | undefined;
  effectiveFrom: number;
  currency: string;
  tiers: PriceTier[];
  source: string;
  /** Which catalog holds the entry: a deployment's file, promptscope's own prices or the reference data's version. */
  catalog: string;
  /** Prices of the source this entry leaves out (audio, images, searches: counts a span does not carry). */
  notPriced: string[];
  /** The service tier it prices (`flex`, `priority`…); undefined: the standard tier. */
  serviceTier: string | undefined;
}
