import { LRUCache } from 'lru-cache';
import { DomainError } from '../domain-error.ts';
import type { Logger } from '../platform/log.ts';
import { withDefaults } from '../platform/with-defaults.ts';
import type { Sql } from '../store/postgres.ts';
import { findSecret, type StoredSecret, touchKeys } from './key-store.ts';
import { hasScope, parseKey, type Scope, secretMatches } from './keys.ts';

export interface Principal {
  keyId: string;
  name: string;
  scopes: string[];
}

export interface AuthenticatorOptions {
  sql: Sql;
  log: Logger;
  /** How long a looked-up key is trusted before Postgres is asked again. */
  cacheTtlMs?: number;
  /** Keys that exist, remembered (least recently used forgotten first). */
  maxKeys?: number;
  /**
   * Key ids Postgres does not know, remembered so a client repeating a bad key is not a query each time. Small:
   * anyone can send well-formed bogus ids, and they must not grow the process.
   */
  maxUnknownKeys?: number;
  now?: () => number;
}

const DEFAULTS = { cacheTtlMs: 5_000, now: Date.now, maxKeys: 10_000, maxUnknownKeys: 1_000 };
const TOUCH_INTERVAL_MS = 60_000;

/** Checks bearer keys against Postgres, caching lookups briefly so the read path stays in memory. */
export class Authenticator {
  #sql: Sql;
  #log: Logger;
  #ttl: number;
  #now: () => number;
  #known: LRUCache<string, { secret: StoredSecret; until: number }>;
  #unknown: LRUCache<string, { until: number }>;
  /** Bearer values already verified against the hash: the hot path skips hashing. Bounded, TTL as above. */
  #verified: LRUCache<string, { principal: Principal; until: number }>;
  #lastTouched: LRUCache<string, number>;

  constructor(options: AuthenticatorOptions) {
    const o = withDefaults(DEFAULTS, options);
    this.#sql = o.sql;
    this.#log = o.log;
    this.#ttl = o.cacheTtlMs;
    this.#now = o.now;
    this.#known = new LRUCache({ max: Math.max(1, o.maxKeys) });
    this.#unknown = new LRUCache({ max: Math.max(1, o.maxUnknownKeys) });
    this.#verified = new LRUCache({ max: Math.max(1, o.maxKeys) });
    this.#lastTouched = new LRUCache({ max: Math.max(1, o.maxKeys) });
  }

  /** How many key ids are remembered, known and unknown (for tests and metrics). */
  get cachedKeyIds(): number {
    return this.#known.size + this.#unknown.size;
  }

  /** Resolves the caller or throws 401 (no/unknown/revoked key) or 403 (key lacks the scope). */
  async authenticate(authorization: string | undefined, needed: Scope): Promise<Principal> {
    const principal = await this.#identify(authorization);
    if (!hasScope(principal.scopes, needed)) {
      throw new DomainError('forbidden', `this API key lacks the '${needed}' scope`, {
        key_id: principal.keyId,
        scopes: principal.scopes,
      });
    }
    return principal;
  }

  /** Resolves the caller whatever its scopes, or throws 401 (no/unknown/revoked key). */
  identify(authorization: string | undefined): Promise<Principal> {
    return this.#identify(authorization);
  }

  /**
   * The caller, when this key was verified lately and has the scope; undefined otherwise (then `authenticate` decides,
   * with its errors). Synchronous: the read path answers from memory without a promise.
   */
  cachedPrincipal(authorization: string | undefined, needed: Scope): Principal | undefined {
    if (!authorization) return undefined;
    const known = this.#verified.get(authorization);
    if (!known || known.until <= this.#now() || !hasScope(known.principal.scopes, needed)) return undefined;
    return known.principal;
  }

  invalidate(id?: string): void {
    if (id === undefined) {
      this.#known.clear();
      this.#unknown.clear();
      this.#verified.clear();
      return;
    }
    this.#known.delete(id);
    this.#unknown.delete(id);
    for (const [token, v] of [...this.#verified.entries()])
      if (v.principal.keyId === id) this.#verified.delete(token);
  }

  async #identify(authorization: string | undefined): Promise<Principal> {
    const unauthorized = (message: string) => new DomainError('unauthorized', message);
    if (!authorization)
      throw unauthorized('missing Authorization header: send "Authorization: Bearer <api key>"');
    const now = this.#now();
    const known = this.#verified.get(authorization);
    if (known && known.until > now) return known.principal;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw unauthorized('Authorization header must be "Bearer <api key>"');
    const parsed = parseKey(m[1]!);
    if (!parsed) throw unauthorized('malformed API key');
    let entry = this.#known.get(parsed.id);
    if (!entry || entry.until <= now) {
      if ((this.#unknown.get(parsed.id)?.until ?? 0) > now) throw unauthorized('invalid API key');
      const secret = await findSecret(this.#sql, parsed.id);
      if (!secret) {
        this.#unknown.set(parsed.id, { until: now + this.#ttl });
        throw unauthorized('invalid API key');
      }
      entry = { secret, until: now + this.#ttl };
      this.#known.set(parsed.id, entry);
    }
    const stored = entry.secret;
    if (!secretMatches(parsed.secret, stored.secretHash)) throw unauthorized('invalid API key');
    if (stored.revoked) throw unauthorized('this API key has been revoked');
    this.#touch(parsed.id, now);
    const principal = { keyId: parsed.id, name: stored.name, scopes: stored.scopes };
    this.#verified.set(authorization, { principal, until: entry.until });
    return principal;
  }

  #touch(id: string, now: number) {
    if (now - (this.#lastTouched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.#lastTouched.set(id, now);
    touchKeys(this.#sql, [id]).catch((error) => this.#log.warn('could not record key use', { id, error }));
  }
}

/** How a principal is named in the audit log. */
/** Whether the caller may move protected labels. */
export function mayPromote(p: Principal): boolean {
  return hasScope(p.scopes, 'prompts:promote');
}

export function actorName(p: Principal): string {
  return `key:${p.keyId}(${p.name})`;
}
