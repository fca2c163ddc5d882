import fs from 'node:fs/promises';
import path from 'node:path';
import { recordAudit } from './audit.ts';
import { createApiKey } from './auth/key-store.ts';
import type { Sql } from './store/postgres.ts';

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
    const { key, record } = await createApiKey(tx, {
      name: 'bootstrap-admin',
      scopes: ['admin'],
      createdBy: 'promptscope start',
    });
    await recordAudit(tx, {
      actor: 'system',
      action: 'key.create',
      resourceType: 'api_key',
      resourceId: record.id,
      details: { name: record.name, bootstrap: true },
    });
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${key}\n`, { mode: 0o600 });
    await fs.chmod(file, 0o600);
    return { key, file };
  });
}
