import { parseArgs } from 'node:util';
import { issueKey, revokeKey } from '../auth/key-lifecycle.ts';
import { keyJson, listApiKeys } from '../auth/key-store.ts';
import { SCOPES, type Scope } from '../auth/keys.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import { createPostgresMigrator } from '../store/migrate.ts';
import { openConfiguredPostgres } from './stores.ts';

/** `promptscope keys create | list | revoke`, straight on Postgres. */
export async function keys(
  config: Config,
  log: Logger,
  args: string[],
  out: (s: string) => void,
): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (action === 'create') {
    const scopes = (values.scopes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (!values.name || scopes.length === 0 || bad.length > 0) {
      process.stderr.write(
        `keys create needs --name NAME and --scopes from ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n`,
      );
      return 2;
    }
  } else if (action === 'revoke' && positionals.length !== 1) {
    process.stderr.write('keys revoke needs the key id (see keys list)\n');
    return 2;
  } else if (action !== 'list' && action !== 'revoke' && action !== 'create') {
    process.stderr.write('keys takes create, list or revoke\n');
    return 2;
  }
  const pg = await openConfiguredPostgres(config, log);
  try {
    await (await createPostgresMigrator(pg.sql, log)).up();
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    if (action === 'create') {
      const scopes = values.scopes!.split(',').map((s) => s.trim()) as Scope[];
      const created = await issueKey(pg.sql, { name: values.name!, scopes, actor });
      out(
        `created key ${created.record.id} (${created.record.name}, scopes: ${scopes.join(', ')}). It is shown only now:\n${created.key}`,
      );
    } else if (action === 'list' && values.json) {
      out(JSON.stringify((await listApiKeys(pg.sql, values.all)).map(keyJson), null, 2));
    } else if (action === 'list') {
      for (const k of await listApiKeys(pg.sql, values.all)) {
        out(
          `${k.id}  ${k.name.padEnd(24)} ${k.scopes.join(',').padEnd(20)} created ${k.createdAt.toISOString()}${k.revokedAt ? `  revoked ${k.revokedAt.toISOString()}` : ''}`,
        );
      }
    } else {
      const id = positionals[0]!;
      const revoked = await revokeKey(pg.sql, id, actor);
      if (!revoked) {
        process.stderr.write(`no API key with id '${id}'\n`);
        return 1;
      }
      out(`revoked key ${id} (${revoked.name})`);
    }
  } finally {
    await pg.close();
  }
  return 0;
}
