import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDecimal, perToken } from './decimal.ts';
import { normaliseModelName } from './model-name.ts';
import builtIn from './prices.json' with { type: 'json' };

const price = z
  .string()
  .regex(/^\d+(\.\d{1,6})?$/, 'a decimal string with at most 6 decimals, e.g. "0.075"')
  .describe('USD (or the entry currency) per 1M tokens');

const priceEntrySchema = z
  .object({
    id: z.string().min(1),
    providers: z.array(z.string().min(1)).min(1).describe('gen_ai.provider.name values, or "*"'),
    models: z.array(z.string().min(1)).default([]).describe('model names, matched after normalisation'),
    model_pattern: z.string().optional().describe('an anchored regular expression over the normalised name'),
    effective_from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    currency: z.string().length(3).default('USD'),
    tiers: z
      .array(
        z
          .object({
            up_to_prompt_tokens: z.number().int().positive().optional(),
            input: price,
            cache_read: price.optional(),
            output: price,
          })
          .strict(),
      )
      .min(1),
    source: z.string().min(1),
    retrieved_at: z.string().optional(),
  })
  .strict();

export const catalogSchema = z.object({
  catalog_version: z.string().optional(),
  description: z.string().optional(),
  prices: z.array(priceEntrySchema),
});
export type PriceEntryInput = z.input<typeof priceEntrySchema>;

export interface PriceTier {
  upToPromptTokens: number | undefined;
  input: bigint;
  cacheRead: bigint | undefined;
  output: bigint;
  /** The same prices in whole pico-units per token. */
  perToken: { input: number; cacheRead: number; output: number };
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
}

/** Prices as data, searched newest-effective first; entries given earlier (overrides) win ties. */
export class PriceCatalog {
  readonly entries: readonly PriceEntry[];
  /** provider → raw model name → the entries that match, newest effective date first (the hot path). */
  #matches = new Map<string, Map<string, PriceEntry[]>>();

  constructor(entries: PriceEntry[]) {
    this.entries = entries;
  }

  /** The price that applies to this provider + model at `at`, or undefined. */
  find(provider: string, model: string, at: number): PriceEntry | undefined {
    let byModel = this.#matches.get(provider);
    if (!byModel) {
      byModel = new Map();
      if (this.#matches.size > 100) this.#matches.clear();
      this.#matches.set(provider, byModel);
    }
    let candidates = byModel.get(model);
    if (!candidates) {
      candidates = this.#match(provider, model);
      if (byModel.size > 10_000) byModel.clear();
      byModel.set(model, candidates);
    }
    for (const e of candidates) if (e.effectiveFrom <= at) return e;
    return undefined;
  }

  #match(provider: string, model: string): PriceEntry[] {
    const name = normaliseModelName(model);
    const providerName = canonicalProvider(provider);
    const found = this.entries.filter(
      (e) =>
        (e.providers.includes('*') || e.providers.includes(providerName)) &&
        (e.models.includes(name) || e.pattern?.test(name) === true),
    );
    // Stable sort: among equal dates, entries listed first (overrides) stay first.
    return found.sort((a, b) => b.effectiveFrom - a.effectiveFrom);
  }
}

/** Provider names as instrumentations write them, mapped to the semantic-convention values. */
export function canonicalProvider(provider: string): string {
  const p = provider.trim().toLowerCase();
  if (p === 'vertex_ai' || p === 'vertexai' || p === 'vertex' || p === 'gcp.vertex.agent')
    return 'gcp.vertex_ai';
  if (p === 'gemini' || p === 'google_ai_studio' || p === 'google' || p === 'googleai') return 'gcp.gemini';
  return p;
}

/** Validates catalog JSON; throws one error naming every bad entry and field. */
export function parseCatalog(json: unknown, origin: string): PriceEntry[] {
  const parsed = catalogSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid price catalog ${origin}: ${problems}`);
  }
  return parsed.data.prices.map((p) => {
    let pattern: RegExp | undefined;
    if (p.model_pattern) {
      try {
        pattern = new RegExp(`^(?:${p.model_pattern})$`);
      } catch {
        throw new Error(
          `invalid price catalog ${origin}: ${p.id}.model_pattern is not a valid regular expression`,
        );
      }
    }
    if (p.models.length === 0 && !pattern)
      throw new Error(`invalid price catalog ${origin}: ${p.id} has neither models nor model_pattern`);
    const tiers = p.tiers.map((t) => {
      const input = parseDecimal(t.input);
      const cacheRead = t.cache_read === undefined ? undefined : parseDecimal(t.cache_read);
      const output = parseDecimal(t.output);
      const tier: PriceTier = {
        upToPromptTokens: t.up_to_prompt_tokens,
        input,
        cacheRead,
        output,
        perToken: { input: perToken(input), cacheRead: perToken(cacheRead ?? 0n), output: perToken(output) },
      };
      return tier;
    });
    return {
      id: p.id,
      providers: p.providers.map(canonicalProvider),
      models: p.models.map(normaliseModelName),
      pattern,
      effectiveFrom: Date.parse(`${p.effective_from}T00:00:00Z`),
      currency: p.currency,
      tiers,
      source: p.source,
    };
  });
}

export interface CatalogOptions {
  /** Extra entries (a deployment's own prices); they win over built-in ones with the same effective date. */
  overrides?: PriceEntryInput[];
  /** A JSON file in the catalog format whose entries are used as overrides. */
  overridesFile?: string;
  /** Leave out the catalog shipped in the repo. */
  withoutBuiltIn?: boolean;
}

/** The shipped catalog plus a deployment's overrides. */
export function loadPriceCatalog(options: CatalogOptions = {}): PriceCatalog {
  const entries: PriceEntry[] = [];
  if (options.overridesFile) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(options.overridesFile, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read price catalog ${options.overridesFile}: ${(error as Error).message}`);
    }
    entries.push(...parseCatalog(json, options.overridesFile));
  }
  if (options.overrides) entries.push(...parseCatalog({ prices: options.overrides }, 'overrides'));
  if (!options.withoutBuiltIn) entries.push(...parseCatalog(builtIn, 'src/pricing/prices.json'));
  return new PriceCatalog(entries);
}
