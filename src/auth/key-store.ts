import type { Queryable, Sql } from '../store/postgres.ts';
import { generateKey, type Scope } from './keys.ts';

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  createdBy: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface KeyRow {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toRecord = (r: KeyRow): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes,
  createdAt: r.created_at,
  createdBy: r.created_by,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** Creates a key; the returned `key` is the only time the secret is ever visible. */
export async function createApiKey(
  sql: Queryable,
  input: { name: string; scopes: Scope[]; createdBy: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const { id, key, secretHash } = generateKey();
  const [row] = await sql<KeyRow[]>`
    insert into api_keys (id, name, secret_hash, scopes, created_by)
    values (${id}, ${input.name}, ${secretHash}, ${input.scopes}, ${input.createdBy})
    returning id, name, scopes, created_at, created_by, last_used_at, revoked_at`;
  return { key, record: toRecord(row!) };
}

export async function listApiKeys(sql: Sql, includeRevoked = false): Promise<ApiKeyRecord[]> {
  const rows = await sql<KeyRow[]>`
    select id, name, scopes, created_at, created_by, last_used_at, revoked_at from api_keys
    where ${includeRevoked} or revoked_at is null order by created_at`;
  return rows.map(toRecord);
}

/** Marks a key revoked; returns undefined when no such key exists. */
export async function revokeApiKey(sql: Queryable, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await sql<KeyRow[]>`
    update api_keys set revoked_at = coalesce(revoked_at, now()) where id = ${id}
    returning id, name, scopes, created_at, created_by, last_used_at, revoked_at`;
  return row ? toRecord(row) : undefined;
}

export async function countActiveKeys(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from api_keys where revoked_at is null`;
  return row!.n;
}

export interface StoredSecret {
  name: string;
  secretHash: Buffer;
  scopes: string[];
  revoked: boolean;
}

export async function findSecret(sql: Sql, id: string): Promise<StoredSecret | undefined> {
  const [row] = await sql<{ name: string; secret_hash: Buffer; scopes: string[]; revoked_at: Date | null }[]>`
    select name, secret_hash, scopes, revoked_at from api_keys where id = ${id}`;
  return row
    ? { name: row.name, secretHash: row.secret_hash, scopes: row.scopes, revoked: row.revoked_at !== null }
    : undefined;
}

export async function touchKeys(sql: Sql, ids: string[]): Promise<void> {
  if (ids.length > 0) await sql`update api_keys set last_used_at = now() where id = any(${ids})`;
}

/** A key as the API and `keys list --json` show it (never its secret). */
export const keyJson = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  created_at: k.createdAt.toISOString(),
  created_by: k.createdBy,
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});
