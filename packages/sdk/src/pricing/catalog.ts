import { readFileSync } from 'node:fs';
import { parseDecimal, perToken } from './decimal.ts';
import { normaliseModelName } from './model-name.ts';
import type { PriceEntry, PriceTier } from './price-entry.ts';

export type { PriceEntry, PriceTier } from './price-entry.ts';

import builtIn from './prices.json' with { type: 'json' };
import reference from './prices-reference.json' with { type: 'json' };
import {
  compileMatch,
  type MatchLogic,
  ReferenceCatalog,
  type ReferenceModel,
  type ReferenceProviderInput,
  secondOfDay,
  variantAt,
} from './reference.ts';

/** A price entry as catalog JSON writes it (prices are decimal strings per 1M tokens, at most 6 decimals). */
export interface PriceEntryInput {
  id: string;
  /** gen_ai.provider.name values, or "*". */
  providers: string[];
  /** Model names, matched after normalisation. */
  models?: string[];
  /** An anchored regular expression over the normalised name. */
  model_pattern?: string;
  /** YYYY-MM-DD */
  effective_from: string;
  currency?: string;
  tiers: PriceTierInput[];
  source: string;
  retrieved_at?: string;
  /**
   * The service tier this price is for, as the provider names it (OpenAI's `flex`, `priority`): a call served at a
   * tier is priced only by entries of that tier. Absent: the standard tier.
   */
  service_tier?: string;
}

/** One tier's prices, decimal strings per 1M tokens. */
export interface PriceTierInput {
  up_to_prompt_tokens?: number;
  input: string;
  cache_read?: string;
  /** Tokens written to a prompt cache (`gen_ai.usage.cache_creation.input_tokens`). */
  cache_write?: string;
  output: string;
  /** Reasoning tokens, where a model prices them apart from other output. */
  reasoning?: string;
}

const PRICE_FIELDS = ['input', 'cache_read', 'cache_write', 'output', 'reasoning'] as const;
const OPTIONAL_PRICES = new Set<string>(['cache_read', 'cache_write', 'reasoning']);

const PRICE = /^\d+(\.\d{1,6})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ENTRY_KEYS = new Set([
  'id',
  'providers',
  'models',
  'model_pattern',
  'effective_from',
  'currency',
  'tiers',
  'source',
  'retrieved_at',
  'service_tier',
]);
const TIER_KEYS = new Set(['up_to_prompt_tokens', ...PRICE_FIELDS]);

/** Every problem of catalog JSON, each as `path: reason`; none means it is a valid catalog. */
export function catalogProblems(json: unknown): string[] {
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const text = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!isObject(json) || !Array.isArray(json.prices)) return ['prices: a list of price entries'];
  for (const [i, e] of (json.prices as unknown[]).entries()) {
    const at = `prices.${i}`;
    if (!isObject(e)) {
      problems.push(`${at}: an object`);
      continue;
    }
    for (const k of Object.keys(e)) if (!ENTRY_KEYS.has(k)) problems.push(`${at}.${k}: unknown field`);
    if (!text(e.id)) problems.push(`${at}.id: a non-empty string`);
    if (!Array.isArray(e.providers) || e.providers.length === 0 || !e.providers.every(text))
      problems.push(`${at}.providers: a non-empty list of provider names (or "*")`);
    if (e.models !== undefined && (!Array.isArray(e.models) || !e.models.every(text)))
      problems.push(`${at}.models: a list of model names`);
    if (e.model_pattern !== undefined && typeof e.model_pattern !== 'string')
      problems.push(`${at}.model_pattern: a string`);
    if (typeof e.effective_from !== 'string' || !DATE.test(e.effective_from))
      problems.push(`${at}.effective_from: a date like 2026-01-31`);
    if (e.currency !== undefined && (typeof e.currency !== 'string' || e.currency.length !== 3))
      problems.push(`${at}.currency: a three-letter currency code`);
    if (!text(e.source)) problems.push(`${at}.source: where the price comes from`);
    if (
      e.service_tier !== undefined &&
      (typeof e.service_tier !== 'string' || !/^[a-z_]+$/.test(e.service_tier))
    )
      problems.push(`${at}.service_tier: a tier name like flex or priority (lowercase)`);
    if (!Array.isArray(e.tiers) || e.tiers.length === 0)
      problems.push(`${at}.tiers: a non-empty list of tiers`);
    else
      for (const [j, t] of (e.tiers as unknown[]).entries()) {
        const tat = `${at}.tiers.${j}`;
        if (!isObject(t)) {
          problems.push(`${tat}: an object`);
          continue;
        }
        for (const k of Object.keys(t)) if (!TIER_KEYS.has(k)) problems.push(`${tat}.${k}: unknown field`);
        for (const k of PRICE_FIELDS) {
          if (OPTIONAL_PRICES.has(k) && t[k] === undefined) continue;
          if (typeof t[k] !== 'string' || !PRICE.test(t[k] as string))
            problems.push(`${tat}.${k}: a decimal string with at most 6 decimals, e.g. "0.075"`);
        }
        const limit = t.up_to_prompt_tokens;
        if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) > 0))
          problems.push(`${tat}.up_to_prompt_tokens: a whole number above 0`);
      }
  }
  return problems;
}

/** Prices as data, searched newest-effective first; entries given earlier (overrides) win ties. */
export class PriceCatalog {
  readonly entries: readonly PriceEntry[];
  /** provider → raw model name → the entries that match, newest effective date first (the hot path). */
  #matches = new Map<string, Map<string, PriceEntry[]>>();

  readonly reference: ReferenceCatalog | undefined;
  #referenceModels = new Map<string, ReferenceModel | undefined>();

  /** `entries` are searched first; the reference catalog prices what none of them does. */
  constructor(entries: PriceEntry[], reference?: ReferenceCatalog) {
    this.entries = entries;
    this.reference = reference;
  }

  /** The price that applies to this provider + model at `at`, or undefined. */
  find(provider: string, model: string, at: number, serviceTier?: string): PriceEntry | undefined {
    const tier = standardTier(serviceTier);
    const own = this.#findOwn(provider, model, at, tier);
    // The reference data has standard prices only.
    return own ?? (tier === undefined ? this.#findReference(provider, model, at) : undefined);
  }

  #findReference(provider: string, model: string, at: number): PriceEntry | undefined {
    if (!this.reference) return undefined;
    const key = `${provider}\u0000${model}`;
    let found = this.#referenceModels.get(key);
    if (found === undefined && !this.#referenceModels.has(key)) {
      found = this.reference.model(canonicalProvider(provider), model);
      if (this.#referenceModels.size > 10_000) this.#referenceModels.clear();
      this.#referenceModels.set(key, found);
    }
    return found && variantAt(found, at);
  }

  #findOwn(provider: string, model: string, at: number, tier: string | undefined): PriceEntry | undefined {
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
    for (const e of candidates) if (e.effectiveFrom <= at && e.serviceTier === tier) return e;
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

/**
 * Provider names other instrumentations write, by the semantic-convention value they mean. OpenLLMetry's Vertex AI
 * instrumentation writes `gen_ai.system="Google"`, its Gemini one `"Gemini"`, its Bedrock one `"AWS"`; OpenInference
 * writes `vertexai`. The llm_calls view (migration 0012) maps the same names: `llm-span.test.ts` checks the two agree.
 */
export const PROVIDER_ALIASES: Readonly<Record<string, readonly string[]>> = {
  'gcp.vertex_ai': ['vertex_ai', 'vertexai', 'vertex', 'gcp.vertex.agent', 'google'],
  'gcp.gemini': ['gemini', 'google_ai_studio', 'googleai'],
  'aws.bedrock': ['aws', 'bedrock', 'aws_bedrock', 'amazon_bedrock', 'aws-bedrock'],
  'azure.ai.openai': ['azure', 'azure_openai', 'azure-openai', 'azureopenai', 'az.ai.openai'],
  'azure.ai.inference': ['az.ai.inference', 'azure_ai_inference'],
  mistral_ai: ['mistral', 'mistralai'],
  x_ai: ['xai', 'x-ai'],
};

const ALIAS_TO_PROVIDER = new Map(
  Object.entries(PROVIDER_ALIASES).flatMap(([name, aliases]) => aliases.map((a) => [a, name] as const)),
);

/** Names providers give their standard tier: such a call is priced like one that names none. */
const STANDARD_TIERS = new Set(['', 'default', 'auto', 'standard', 'on_demand']);

/** A call's service tier as the catalog matches it: undefined for the standard tier, else its lowercase name. */
export function standardTier(serviceTier: string | undefined): string | undefined {
  if (serviceTier === undefined) return undefined;
  const t = serviceTier.trim().toLowerCase();
  return STANDARD_TIERS.has(t) ? undefined : t;
}

/** Provider names as instrumentations write them, mapped to the semantic-convention values (lowercase). */
export function canonicalProvider(provider: string): string {
  const p = provider.trim().toLowerCase();
  return ALIAS_TO_PROVIDER.get(p) ?? p;
}

/** Validates catalog JSON; throws one error naming every bad entry and field. `catalog` labels its entries. */
export function parseCatalog(json: unknown, origin: string, catalog = origin): PriceEntry[] {
  const problems = catalogProblems(json);
  if (problems.length) throw new Error(`invalid price catalog ${origin}: ${problems.join('; ')}`);
  return (json as { prices: PriceEntryInput[] }).prices.map((entry) => {
    const p = { ...entry, models: entry.models ?? [], currency: entry.currency ?? 'USD' };
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
    const tiers = p.tiers.map(parseTier);
    return {
      id: p.id,
      providers: p.providers.map(canonicalProvider),
      models: p.models.map(normaliseModelName),
      pattern,
      effectiveFrom: Date.parse(`${p.effective_from}T00:00:00Z`),
      currency: p.currency,
      tiers,
      source: p.source,
      catalog,
      notPriced: [],
      serviceTier: p.service_tier,
    };
  });
}

function parseTier(t: PriceTierInput): PriceTier {
  const optional = (v: string | undefined) => (v === undefined ? undefined : parseDecimal(v));
  const input = parseDecimal(t.input);
  const output = parseDecimal(t.output);
  const cacheRead = optional(t.cache_read);
  const cacheWrite = optional(t.cache_write);
  const reasoning = optional(t.reasoning);
  return {
    upToPromptTokens: t.up_to_prompt_tokens,
    input,
    cacheRead,
    cacheWrite,
    output,
    reasoning,
    perToken: {
      input: perToken(input),
      cacheRead: perToken(cacheRead ?? 0n),
      cacheWrite: perToken(cacheWrite ?? 0n),
      output: perToken(output),
      reasoning: perToken(reasoning ?? output),
    },
  };
}

interface ReferenceJson {
  catalog_version: string;
  providers: ReferenceProviderInput[];
  prices: {
    id: string;
    providers: string[];
    match: MatchLogic;
    effective_from?: string;
    utc_hours?: { from: string; to: string };
    tiers: PriceTierInput[];
    source: string;
    not_priced?: string[];
  }[];
}

/** The reference catalog (prices-reference.json) as the lookup structure; entries of one model stay in order. */
export function parseReferenceCatalog(json: ReferenceJson): ReferenceCatalog {
  const models = new Map<string, ReferenceModel>();
  const modelsOf = new Map<string, ReferenceModel[]>();
  for (const e of json.prices) {
    const providerId = e.id.slice(0, e.id.indexOf('/'));
    let model = models.get(e.id);
    if (!model) {
      model = { id: e.id, matches: compileMatch(e.match), variants: [] };
      models.set(e.id, model);
      const list = modelsOf.get(providerId) ?? [];
      list.push(model);
      modelsOf.set(providerId, list);
    }
    const entry: PriceEntry = {
      id: e.id,
      providers: e.providers,
      models: [],
      pattern: undefined,
      effectiveFrom: e.effective_from
        ? Date.parse(`${e.effective_from}T00:00:00Z`)
        : Number.NEGATIVE_INFINITY,
      currency: 'USD',
      tiers: e.tiers.map(parseTier),
      source: e.source,
      catalog: json.catalog_version,
      notPriced: e.not_priced ?? [],
      serviceTier: undefined,
    };
    model.variants.push({
      entry,
      ...(e.utc_hours
        ? { hours: { from: secondOfDay(e.utc_hours.from), to: secondOfDay(e.utc_hours.to) } }
        : {}),
    });
  }
  return new ReferenceCatalog(
    json.catalog_version,
    json.providers.map((p) => ({
      id: p.id,
      names: p.names,
      modelMatch: p.model_match ? compileMatch(p.model_match) : undefined,
      fallbacks: p.fallbacks ?? [],
      models: modelsOf.get(p.id) ?? [],
    })),
  );
}

let shippedReference: ReferenceCatalog | undefined;

export interface CatalogOptions {
  /** Extra entries (a deployment's own prices); they win over built-in ones with the same effective date. */
  overrides?: PriceEntryInput[];
  /** A JSON file in the catalog format whose entries are used as overrides. */
  overridesFile?: string;
  /** Leave out the catalogs shipped in the repo (promptscope's own prices and the reference data). */
  withoutBuiltIn?: boolean;
}

/** The shipped catalogs plus a deployment's overrides: overrides, then promptscope's own prices, then the reference. */
export function loadPriceCatalog(options: CatalogOptions = {}): PriceCatalog {
  const entries: PriceEntry[] = [];
  if (options.overridesFile) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(options.overridesFile, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read price catalog ${options.overridesFile}: ${(error as Error).message}`);
    }
    const version = (json as { catalog_version?: unknown } | null)?.catalog_version;
    const label = typeof version === 'string' ? `${options.overridesFile}@${version}` : options.overridesFile;
    entries.push(...parseCatalog(json, options.overridesFile, label));
  }
  if (options.overrides) entries.push(...parseCatalog({ prices: options.overrides }, 'overrides'));
  if (options.withoutBuiltIn) return new PriceCatalog(entries);
  entries.push(
    ...parseCatalog(
      builtIn,
      'packages/sdk/src/pricing/prices.json',
      `promptscope@${builtIn.catalog_version}`,
    ),
  );
  shippedReference ??= parseReferenceCatalog(reference as ReferenceJson);
  return new PriceCatalog(entries, shippedReference);
}
