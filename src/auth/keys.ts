import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * `admin`: everything. `prompts:read`: resolve templates (what every service holds). `prompts:write`: publish
 * versions and move labels that are not protected (a CI pipeline's key). `prompts:promote`: that, and move protected
 * labels too. `telemetry:read`: read the recorded LLM calls and analytics, which span every service, so it is not
 * implied by `prompts:read`. `telemetry:write`: send spans to the OTLP collector (when it asks for a key, see
 * PROMPTSCOPE_OTLP_AUTH).
 */
export const SCOPES = [
  'admin',
  'prompts:read',
  'prompts:write',
  'prompts:promote',
  'telemetry:read',
  'telemetry:write',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface ParsedKey {
  id: string;
  secret: string;
}

const KEY_FORMAT = /^psk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A new key: the public id is stored as is, the secret only as a hash. */
export function generateKey(): { id: string; key: string; secretHash: Buffer } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `psk_${id}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseKey(key: string): ParsedKey | undefined {
  const m = KEY_FORMAT.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const presented = hashSecret(secret);
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash);
}

/** The scopes a scope brings with it: who may promote may write, who may write may read. */
const IMPLIED: Partial<Record<Scope, readonly Scope[]>> = {
  'prompts:promote': ['prompts:write', 'prompts:read'],
  'prompts:write': ['prompts:read'],
};

/** `admin` may do everything; the prompt scopes bring the lesser ones; the others grant exactly themselves. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return (
    granted.includes('admin') ||
    granted.includes(needed) ||
    granted.some((g) => IMPLIED[g as Scope]?.includes(needed) ?? false)
  );
}
