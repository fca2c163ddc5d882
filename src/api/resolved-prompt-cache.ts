import { withDefaults } from '../platform/with-defaults.ts';

export interface CachedResponse {
  /** The JSON body, encoded once: every read writes these bytes as they are. */
  body: Uint8Array;
  etag: string;
}

export interface ResolvedPromptCacheOptions {
  /** Upper bound on staleness should a change notification ever be missed. */
  ttlMs: number;
  maxEntries: number;
  now: () => number;
}

const DEFAULTS: ResolvedPromptCacheOptions = { ttlMs: 30_000, maxEntries: 10_000, now: Date.now };

/**
 * The services' read path, served from memory: serialised responses keyed by name + selector, dropped the
 * moment a change to that template is published (on any instance) and otherwise after a short TTL.
 */
export class ResolvedPromptCache {
  #entries = new Map<string, CachedResponse & { name: string; until: number }>();
  #o: ResolvedPromptCacheOptions;
  /** Bumped on every invalidation so a lookup that started before it never stores a stale answer. */
  #generation = 0;

  constructor(options: Partial<ResolvedPromptCacheOptions> = {}) {
    this.#o = withDefaults(DEFAULTS, options);
  }

  get(key: string): CachedResponse | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.#o.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  generation(): number {
    return this.#generation;
  }

  /** Stores a response unless an invalidation happened since `generation` was read. */
  set(key: string, name: string, value: CachedResponse, generation: number): void {
    if (generation !== this.#generation) return;
    if (this.#entries.size >= this.#o.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { ...value, name, until: this.#o.now() + this.#o.ttlMs });
  }

  /** Drops every entry of a template, or everything for '*'. */
  invalidate(name: string): void {
    this.#generation++;
    if (name === '*') {
      this.#entries.clear();
      return;
    }
    for (const [k, e] of this.#entries) if (e.name === name) this.#entries.delete(k);
  }
}
