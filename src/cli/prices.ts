import { parseArgs } from 'node:util';
import type { PriceCatalog, PriceEntry, PriceTier } from '#sdk/pricing';
import { canonicalProvider, formatDecimal, loadPriceCatalog } from '#sdk/pricing';
import type { Config } from '../config.ts';
import { usageError } from './usage.ts';

/** A tier's prices per 1M tokens, as the catalog holds them. */
function tierJson(t: PriceTier) {
  const price = (v: bigint | undefined) => (v === undefined ? undefined : formatDecimal(v));
  return {
    up_to_prompt_tokens: t.upToPromptTokens ?? null,
    input: price(t.input),
    cache_read: price(t.cacheRead) ?? null,
    cache_write: price(t.cacheWrite) ?? null,
    output: price(t.output),
    reasoning: price(t.reasoning) ?? null,
  };
}

export function entryJson(e: PriceEntry) {
  return {
    id: e.id,
    catalog: e.catalog,
    providers: e.providers,
    effective_from: Number.isFinite(e.effectiveFrom)
      ? new Date(e.effectiveFrom).toISOString().slice(0, 10)
      : null,
    currency: e.currency,
    per: '1M tokens',
    tiers: e.tiers.map(tierJson),
    source: e.source,
    not_priced: e.notPriced,
  };
}

function tierLine(t: PriceTier): string {
  const j = tierJson(t);
  const parts = [`input ${j.input}`];
  if (j.cache_read !== null) parts.push(`cache read ${j.cache_read}`);
  if (j.cache_write !== null) parts.push(`cache write ${j.cache_write}`);
  parts.push(`output ${j.output}`);
  if (j.reasoning !== null) parts.push(`reasoning ${j.reasoning}`);
  return parts.join(' · ');
}

/** What `prices lookup` prints: the entry, its catalog and source, and each tier's prices. */
export function describeEntry(e: PriceEntry, heading: string): string {
  const lines = [
    heading,
    `  priced by   ${e.id} (${e.catalog})`,
    `  source      ${e.source}`,
    `  ${e.currency} per 1M tokens:`,
  ];
  for (const [i, t] of e.tiers.entries()) {
    const previous = e.tiers[i - 1]?.upToPromptTokens;
    const range =
      e.tiers.length === 1
        ? 'any prompt'
        : t.upToPromptTokens === undefined
          ? `prompt over ${previous?.toLocaleString('en-US')} tokens`
          : `prompt up to ${t.upToPromptTokens.toLocaleString('en-US')} tokens`;
    lines.push(`    ${range}: ${tierLine(t)}`);
  }
  if (e.notPriced.length)
    lines.push(`  not priced  ${e.notPriced.join(', ')} (a span does not carry these counts)`);
  return lines.join('\n');
}

/** Every entry of the catalog in the order it is searched: a deployment's, promptscope's, then the reference. */
function allEntries(catalog: PriceCatalog): PriceEntry[] {
  const reference = catalog.reference?.providers.flatMap((p) =>
    p.models.flatMap((m) => m.variants.map((v) => v.entry)),
  );
  return [...catalog.entries, ...(reference ?? [])];
}

/** `promptscope prices lookup|list`: what a model costs and which catalog says so; no store is needed. */
export async function prices(config: Config, argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  const catalog = loadPriceCatalog({ overridesFile: config.pricesFile });
  if (sub === 'lookup') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { provider: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' } },
    });
    const [model, ...extra] = positionals;
    if (!model || extra.length) return usageError(['prices', 'lookup'], 'name one model');
    const at = values.at === undefined ? Date.now() : Date.parse(values.at);
    if (Number.isNaN(at))
      return usageError(['prices', 'lookup'], `--at: '${values.at}' is not an ISO 8601 time`);
    const provider = canonicalProvider(values.provider ?? '');
    const entry = catalog.find(provider, model, at);
    const when = new Date(at).toISOString();
    if (!entry) {
      const what = `no price for model '${model}'${provider ? ` (provider '${provider}')` : ''} at ${when}`;
      if (values.json) out(JSON.stringify({ model, provider, at: when, priced: false, reason: what }));
      else process.stderr.write(`${what}: add one in PROMPTSCOPE_PRICES_FILE\n`);
      return 1;
    }
    if (values.json)
      out(JSON.stringify({ model, provider, at: when, priced: true, ...entryJson(entry) }, null, 2));
    else out(describeEntry(entry, `${provider ? `${provider} / ` : ''}${model} at ${when}`));
    return 0;
  }
  if (sub === 'list') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { provider: { type: 'string' }, search: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals.length) return usageError(['prices', 'list'], `unexpected argument '${positionals[0]}'`);
    const provider = values.provider === undefined ? undefined : canonicalProvider(values.provider);
    const search = values.search?.toLowerCase();
    const entries = allEntries(catalog).filter(
      (e) =>
        (provider === undefined || e.providers.includes(provider) || e.providers.includes('*')) &&
        (search === undefined || e.id.toLowerCase().includes(search)),
    );
    if (values.json) {
      out(JSON.stringify(entries.map(entryJson), null, 2));
      return 0;
    }
    out(['ID', 'CATALOG', 'FROM', 'USD PER 1M TOKENS'].join('\t'));
    for (const e of entries) {
      const from = entryJson(e).effective_from ?? '-';
      out([e.id, e.catalog, from, e.tiers.map(tierLine).join(' | ')].join('\t'));
    }
    return 0;
  }
  return usageError(['prices'], sub ? `unknown subcommand '${sub}'` : 'name a subcommand');
}
