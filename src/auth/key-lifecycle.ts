import fs from 'node:fs/promises';
import path from 'node:path';
import { recordAudit } from '../audit.ts';
import { publishChange } from '../store/change-feed.ts';
import type { Queryable, Sql } from '../store/postgres.ts';
import { type ApiKeyRecord, createApiKey, revokeApiKey } from './key-store.ts';
import type { Scope } from './keys.ts';

/**
 * Issuing and revoking keys, the one way the API, the CLI and first start do it: the change, its audit entry and
 * (on revoke) the notification that drops the key from every instance's cache, in one transaction.
 */

async function issue(
  tx: Queryable,
  input: {
    name: string;
    scopes: Scope[];
    actor: string;
    createdBy?: string;
    details?: Record<string, unknown>;
  },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const created = await createApiKey(tx, {
    name: input.name,
    scopes: input.scopes,
    createdBy: input.createdBy ?? input.actor,
  });
  await recordAudit(tx, {
    actor: input.actor,
    action: 'key.create',
    resourceType: 'api_key',
    resourceId: created.record.id,
    details: { name: input.name, scopes: input.scopes, ...input.details },
  });
  return created;
}

/** Creates a key (the returned `key` is the only time its secret is visible) and records who did. */
export function issueKey(
  sql: Sql,
  input: { name: string; scopes: Scope[]; actor: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  return sql.begin((tx) => issue(tx, input));
}

/** Revokes a key, records who did, and tells every instance; undefined when there is no such key. */
export function revokeKey(sql: Sql, id: string, actor: string): Promise<ApiKeyRecord | undefined> {
  return sql.begin(async (tx) => {
    const revoked = await revokeApiKey(tx, id);
    if (!revoked) return undefined;
    await recordAudit(tx, { actor, action: 'key.revoke', resourceType: 'api_key', resourceId: id });
    await publishChange(tx, { kind: 'key', id });
    return revoked;
  });
}

/**
 * On the very first start (no key was ever created) makes an admin key, so a newcomer can follow the README:
 * the key is returned to be printed once and written to a 0600 file under the data dir.
 */
export async function ensureBootstrapKey(
  sql: Sql,
  file: string,
): Promise<{ key: string; file: string } | undefined> {
  return sql.begin(async (tx) => {
    await tx`lock table api_keys in exclusive mode`;
    const [row] = await tx<{ n: number }[]>`select count(*)::int as n from api_keys`;
    if (row!.n > 0) return undefined;
    const { key } = await issue(tx, {
      name: 'bootstrap-admin',
      scopes: ['admin'],
      actor: 'system',
      createdBy: 'promptscope start',
      details: { bootstrap: true },
    });
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${key}\n`, { mode: 0o600 });
    await fs.chmod(file, 0o600);
    return { key, file };
  });
}
