/**
 * Turns the price data of `@pydantic/genai-prices` (MIT, https://github.com/pydantic/genai-prices) into promptscope's
 * reference catalog, `packages/sdk/src/pricing/prices-reference.json`: every provider and model it prices, each
 * price as an exact decimal string (the package stores JavaScript numbers; a number's shortest spelling is the
 * decimal its data file wrote, and one that is not — a float artefact such as 0.18000000000000002 — is left out
 * and listed, never rounded). `npm run prices:import` after bumping the package; a test fails while the committed
 * file differs from what the installed package gives.
 *
 * What the catalog can price from a span: input, cache reads, cache writes, output, reasoning, by the tier the
 * prompt's size selects, effective-dated and (DeepSeek's off-peak hours) by time of day. A model whose price also
 * charges per request is left out and listed, since a span cannot say what that adds; prices per audio, image or
 * video token, per web search or per page are dropped from an entry (spans do not report those counts) and each
 * entry says which it dropped.
 */
import type {
  ConditionalPrice,
  MatchLogic,
  ModelPrice,
  Provider,
  TieredPrices,
} from '@pydantic/genai-prices';
import type { PriceTierInput } from '#sdk/pricing';

/** genai-prices' provider ids → the `gen_ai.provider.name` values (GenAI conventions) that mean them. */
export const PROVIDER_NAMES: Record<string, string[]> = {
  anthropic: ['anthropic'],
  aws: ['aws.bedrock'],
  azure: ['azure.ai.openai', 'azure.ai.inference'],
  cohere: ['cohere'],
  deepseek: ['deepseek'],
  google: ['gcp.gemini', 'gcp.vertex_ai', 'gcp.gen_ai'],
  groq: ['groq'],
  mistral: ['mistral_ai'],
  openai: ['openai'],
  perplexity: ['perplexity'],
  'x-ai': ['x_ai'],
};

/** genai-prices price keys → the tier fields of our catalog. */
const TOKEN_KEYS = {
  input_mtok: 'input',
  cache_read_mtok: 'cache_read',
  cache_write_mtok: 'cache_write',
  output_mtok: 'output',
  output_reasoning_mtok: 'reasoning',
} as const;
/** Price keys that make a span's cost unknowable: such a model stays unpriced rather than priced too low. */
const PER_CALL_KEYS = new Set(['requests_kcount', 'input_text_messages_kcount']);

const DECIMAL = /^\d+(\.\d{1,6})?$/;

/** A tier as our catalogs write it (PROMPTSCOPE_PRICES_FILE's format). */
export type ReferenceTier = PriceTierInput;

export interface ReferenceEntry {
  id: string;
  providers: string[];
  match: MatchLogic;
  effective_from?: string;
  utc_hours?: { from: string; to: string };
  tiers: ReferenceTier[];
  source: string;
  not_priced?: string[];
}

export interface ReferenceProvider {
  id: string;
  names: string[];
  model_match?: MatchLogic;
  fallbacks?: string[];
}

export interface ReferenceCatalog {
  catalog_version: string;
  description: string;
  providers: ReferenceProvider[];
  prices: ReferenceEntry[];
  left_out: string[];
}

class NotExact extends Error {}

function decimal(value: number, where: string): string {
  const text = String(value);
  if (!DECIMAL.test(text)) throw new NotExact(`${where}: ${text} is not a decimal with at most 6 places`);
  return text;
}

const isTiered = (v: number | TieredPrices | undefined): v is TieredPrices => typeof v === 'object';

/** One ModelPrice as our tiers: one tier per stretch between the prompt sizes where any price changes. */
function tiersOf(prices: ModelPrice, where: string): { tiers: ReferenceTier[]; dropped: string[] } {
  const starts = new Set<number>();
  for (const v of Object.values(prices)) if (isTiered(v)) for (const t of v.tiers) starts.add(t.start);
  const bounds = [...starts].sort((a, b) => a - b);
  const dropped = Object.keys(prices)
    .filter((k) => !(k in TOKEN_KEYS))
    .sort();
  const priceAt = (v: number | TieredPrices, promptTokens: number): number => {
    if (!isTiered(v)) return v;
    let price = v.base;
    // genai-prices: a tier applies once the prompt has more than `start` tokens.
    for (const t of v.tiers) if (promptTokens > t.start) price = t.price;
    return price;
  };
  const tiers: ReferenceTier[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    // A prompt size inside this stretch: the first stretch ends at bounds[0], the next ones start just past it.
    const sample = i === 0 ? 0 : bounds[i - 1]! + 1;
    const tier: Partial<ReferenceTier> = {};
    if (i < bounds.length) tier.up_to_prompt_tokens = bounds[i]!;
    for (const [key, field] of Object.entries(TOKEN_KEYS)) {
      const v = prices[key];
      if (v !== undefined) tier[field] = decimal(priceAt(v, sample), `${where}.${key}`);
    }
    tier.input ??= '0';
    tier.output ??= '0';
    tiers.push(tier as ReferenceTier);
  }
  return { tiers, dropped };
}

/** The reference catalog of these providers (genai-prices' data, in its order: the first model that matches wins). */
export function referenceCatalog(providers: Provider[], version: string): ReferenceCatalog {
  const prices: ReferenceEntry[] = [];
  const leftOut: string[] = [];
  for (const p of providers) {
    const source = p.pricing_urls?.[0] ?? 'https://github.com/pydantic/genai-prices';
    for (const m of p.models) {
      const id = `${p.id}/${m.id}`;
      const variants: ConditionalPrice[] = Array.isArray(m.prices) ? m.prices : [{ prices: m.prices }];
      const perCall = variants.flatMap((v) => Object.keys(v.prices).filter((k) => PER_CALL_KEYS.has(k)));
      if (perCall.length) {
        leftOut.push(`${id}: charges ${[...new Set(perCall)].join(', ')}, which a span does not report`);
        continue;
      }
      try {
        const entries = variants.map((v): ReferenceEntry => {
          const { tiers, dropped } = tiersOf(v.prices, id);
          const entry: ReferenceEntry = {
            id,
            providers: PROVIDER_NAMES[p.id] ?? [p.id],
            match: m.match,
            tiers,
            source,
          };
          const c = v.constraint;
          if (c?.type === 'start_date') entry.effective_from = c.start_date;
          if (c?.type === 'time_of_date') entry.utc_hours = { from: c.start_time, to: c.end_time };
          if (dropped.length) entry.not_priced = dropped;
          return entry;
        });
        prices.push(...entries);
      } catch (error) {
        if (!(error instanceof NotExact)) throw error;
        leftOut.push(error.message);
      }
    }
  }
  return {
    catalog_version: version,
    description:
      'Generated by `npm run prices:import` from @pydantic/genai-prices (MIT); do not edit: put corrections in PROMPTSCOPE_PRICES_FILE or packages/sdk/src/pricing/prices.json. USD per 1M tokens. Within a provider the first entry whose match holds names the model; its entries are then chosen by time, last first: the last whose effective_from has passed or whose utc_hours hold, else its first.',
    providers: providers.map((p) => ({
      id: p.id,
      names: PROVIDER_NAMES[p.id] ?? [p.id],
      ...(p.model_match ? { model_match: p.model_match } : {}),
      ...(p.fallback_model_providers?.length ? { fallbacks: p.fallback_model_providers } : {}),
    })),
    prices,
    left_out: leftOut,
  };
}

export const REFERENCE_FILE = new URL('../packages/sdk/src/pricing/prices-reference.json', import.meta.url);

/** The reference catalog of the @pydantic/genai-prices installed in node_modules. */
export async function installedReferenceCatalog(): Promise<ReferenceCatalog> {
  const { waitForUpdate } = await import('@pydantic/genai-prices');
  const { readFileSync } = await import('node:fs');
  const manifest = new URL('../node_modules/@pydantic/genai-prices/package.json', import.meta.url);
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const providers = await waitForUpdate();
  if (!providers) throw new Error('@pydantic/genai-prices gave no provider data');
  return referenceCatalog(providers, `genai-prices@${pkg.version}`);
}
