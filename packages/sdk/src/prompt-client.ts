import { PromptUnavailableError } from './errors.ts';
import { type FallbackTemplate, fallbackPrompt, Prompt, type PromptData } from './prompt.ts';
import { withDefaults } from './with-defaults.ts';

export interface PromptClientOptions {
  /** promptscope API base URL (default PROMPTSCOPE_URL). */
  baseUrl?: string;
  /** A key with the prompts:read scope (default PROMPTSCOPE_API_KEY). */
  apiKey?: string;
  /** Fresh for this long; then served stale while one background refresh runs (0 = always fetch). */
  cacheTtlSeconds?: number;
  /** Least recently used entries are dropped past this many. */
  maxEntries?: number;
  /** Cold-fetch timeout per attempt. */
  timeoutMs?: number;
  /** Extra attempts on a timeout, network error, 429 or 5xx. */
  retries?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Refresh failures, evictions and fallbacks, for the service's own logs/metrics. */
  onEvent?: (event: PromptClientEvent) => void;
}

export type PromptClientEvent =
  | { type: 'refresh_failed'; key: string; error: string }
  | { type: 'evicted'; key: string; reason: string }
  | { type: 'fallback'; key: string; error: string };

export interface GetPromptOptions {
  /** Default `production`. */
  label?: string;
  version?: string;
  /** Used when the API cannot deliver; the span still names the template, with source=fallback. */
  fallback?: FallbackTemplate;
  /** A user or session id: picks the same A/B variant every time for the same key. */
  variantKey?: string;
}

interface Variant {
  weight: number;
  prompt: Prompt;
}

interface Entry {
  fetchedAt: number;
  etag: string | undefined;
  /** What `get` hands out from the cache (source=cache). */
  cached: Prompt;
  variants: Variant[] | undefined;
}

type ResolvedOptions = Required<Omit<PromptClientOptions, 'onEvent' | 'fetch' | 'now'>>;

const DEFAULTS = { cacheTtlSeconds: 60, maxEntries: 500, timeoutMs: 2_000, retries: 1 };

/**
 * Fetches templates from the promptscope API with a TTL cache, stale-while-revalidate, ETag revalidation, a short
 * cold timeout with one retry, and a caller-supplied fallback — so a prompt fetch never takes a feature down.
 */
export class PromptClient {
  #o: ResolvedOptions;
  #fetch: typeof fetch;
  #now: () => number;
  #onEvent: (event: PromptClientEvent) => void;
  #entries = new Map<string, Entry>();
  #refreshing = new Set<string>();

  constructor(options: PromptClientOptions = {}) {
    const baseUrl = options.baseUrl ?? process.env.PROMPTSCOPE_URL;
    const apiKey = options.apiKey ?? process.env.PROMPTSCOPE_API_KEY;
    if (!baseUrl) throw new Error('PromptClient needs baseUrl (or PROMPTSCOPE_URL)');
    if (!apiKey)
      throw new Error(
        'PromptClient needs apiKey (or PROMPTSCOPE_API_KEY), a key with the prompts:read scope',
      );
    this.#o = {
      ...withDefaults(DEFAULTS, options),
      baseUrl: baseUrl.replace(/\/+$/, ''),
      apiKey,
    } as ResolvedOptions;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** The template for name + label (or version), from cache when fresh. */
  async get(name: string, options: GetPromptOptions = {}): Promise<Prompt> {
    const label = options.version === undefined ? (options.label ?? 'production') : undefined;
    const key =
      options.version === undefined ? `${name}|label:${label}` : `${name}|version:${options.version}`;
    const entry = this.#entries.get(key);
    if (entry && this.#o.cacheTtlSeconds > 0) {
      // Most recently used last, for LRU eviction.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      if (this.#now() - entry.fetchedAt >= this.#o.cacheTtlSeconds * 1000)
        this.#refresh(key, name, options, label, entry);
      return entry.variants
        ? pickVariant(entry.variants, name, label, options.variantKey, 'cache')
        : entry.cached;
    }
    try {
      const fresh = await this.#fetchWithRetry(name, options, label, undefined);
      if (fresh === 'not-modified') throw new Error('unexpected 304 without a cached copy');
      this.#store(key, fresh);
      const network = fresh.variants
        ? pickVariant(fresh.variants, name, label, options.variantKey, 'network')
        : fresh.cached.withSource('network');
      return network;
    } catch (error) {
      if (options.fallback === undefined) {
        throw error instanceof PromptUnavailableError
          ? error
          : new PromptUnavailableError(`cannot fetch template '${name}': ${(error as Error).message}`, {
              cause: error,
            });
      }
      this.#onEvent({ type: 'fallback', key, error: (error as Error).message });
      return fallbackPrompt(name, label, options.fallback);
    }
  }

  /** Drops cached copies of a template (or of everything). */
  invalidate(name?: string): void {
    for (const key of [...this.#entries.keys()])
      if (name === undefined || key.startsWith(`${name}|`)) this.#entries.delete(key);
  }

  #store(key: string, entry: Entry) {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#o.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#onEvent({ type: 'evicted', key: oldest, reason: 'cache full' });
    }
  }

  /** One background refresh per key; a failure keeps the stale copy, a 404 evicts it. */
  #refresh(key: string, name: string, options: GetPromptOptions, label: string | undefined, entry: Entry) {
    if (this.#refreshing.has(key)) return;
    this.#refreshing.add(key);
    this.#fetchWithRetry(name, options, label, entry.etag)
      .then((fresh) => {
        if (fresh === 'not-modified') entry.fetchedAt = this.#now();
        else this.#store(key, fresh);
      })
      .catch((error: Error & { status?: number }) => {
        if (error.status === 404) {
          this.#entries.delete(key);
          this.#onEvent({ type: 'evicted', key, reason: 'gone from the API (404)' });
        } else this.#onEvent({ type: 'refresh_failed', key, error: error.message });
      })
      .finally(() => this.#refreshing.delete(key));
  }

  async #fetchWithRetry(
    name: string,
    options: GetPromptOptions,
    label: string | undefined,
    etag: string | undefined,
  ): Promise<Entry | 'not-modified'> {
    const query =
      options.version !== undefined
        ? `version=${encodeURIComponent(options.version)}`
        : `label=${encodeURIComponent(label!)}`;
    const url = `${this.#o.baseUrl}/api/v1/prompts/${encodeURIComponent(name)}?${query}`;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= this.#o.retries; attempt++) {
      let res: Response;
      try {
        res = await this.#fetch(url, {
          headers: { authorization: `Bearer ${this.#o.apiKey}`, ...(etag ? { 'if-none-match': etag } : {}) },
          signal: AbortSignal.timeout(this.#o.timeoutMs),
        });
      } catch (error) {
        lastError = error as Error; // timeout or network failure: worth one more try
        continue;
      }
      if (res.status === 304) return 'not-modified';
      if (res.ok)
        return this.#entryFrom(
          (await res.json()) as ReadResponse,
          label,
          res.headers.get('etag') ?? undefined,
        );
      const text = await res.text().catch(() => '');
      const error = Object.assign(
        new PromptUnavailableError(
          `cannot fetch template '${name}': HTTP ${res.status} ${text.slice(0, 300)}`,
        ),
        {
          status: res.status,
        },
      );
      if (res.status !== 429 && res.status < 500) throw error;
      lastError = error;
    }
    throw lastError ?? new Error('fetch failed');
  }

  #entryFrom(data: ReadResponse, label: string | undefined, etag: string | undefined): Entry {
    const variants = data.variants?.map((v) => ({
      weight: v.weight,
      prompt: new Prompt(v, { label, source: 'cache', variant: v.version }),
    }));
    return { fetchedAt: this.#now(), etag, cached: new Prompt(data, { label, source: 'cache' }), variants };
  }
}

interface ReadResponse extends PromptData {
  variants?: (PromptData & { weight: number; version: string })[];
}

/**
 * Sticky weighted choice: the same key always gets the same variant of the same label; with no key, a random one
 * (so the split ratio still holds).
 */
export function pickVariant(
  variants: Variant[],
  name: string,
  label: string | undefined,
  key: string | undefined,
  source: 'cache' | 'network',
): Prompt {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const point =
    key === undefined
      ? Math.random() * total
      : (fnv1a(`${name}\u0000${label ?? ''}\u0000${key}`) / 0x1_0000_0000) * total;
  let acc = 0;
  for (const v of variants) {
    acc += v.weight;
    if (point < acc) return source === 'cache' ? v.prompt : v.prompt.withSource('network');
  }
  const last = variants[variants.length - 1]!.prompt;
  return source === 'cache' ? last : last.withSource('network');
}

/** 32-bit FNV-1a: cheap, stable across processes and versions, well spread for short ids. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
