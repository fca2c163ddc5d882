import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { urlHost } from '../platform/listen.ts';

/**
 * Where CLI commands that work through the API find it: `--url`, else this deployment's HOST:PORT; the key from
 * PROMPTSCOPE_API_KEY, else the admin key the first start wrote. Through the API, a command works next to a running
 * server (an embedded ClickHouse belongs to the process that opened it) and against a remote one alike.
 */
export async function apiAccess(
  config: Config,
  url: string | undefined,
): Promise<{ base: string; key: string }> {
  const base = url ?? `http://${urlHost(config.host)}:${config.port}`;
  const key =
    process.env.PROMPTSCOPE_API_KEY ||
    (await readFile(config.bootstrapKeyFile, 'utf8').catch(() => '')).trim();
  return { base, key };
}
