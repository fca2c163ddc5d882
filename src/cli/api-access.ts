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

export interface ApiAnswer {
  ok: boolean;
  status: number;
  body: Record<string, unknown> & {
    error?: { message?: string; details?: { fields?: { field: string; message: string }[] } | null };
  };
}

export interface ApiClient {
  /** One request with the key; throws (saying how to fix it) only when the API cannot be reached. */
  call(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

/**
 * The API client of a CLI command that works through the API, or undefined (having said which key it needs) when
 * there is no key.
 */
export async function apiClient(
  config: Config,
  url: string | undefined,
  command: string,
  needs: string,
): Promise<ApiClient | undefined> {
  const { base, key } = await apiAccess(config, url);
  if (!key) {
    process.stderr.write(
      `${command} works through the API and needs ${needs}: set PROMPTSCOPE_API_KEY (no ${config.bootstrapKeyFile} either)\n`,
    );
    return undefined;
  }
  return {
    async call(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        throw new Error(
          `cannot reach the promptscope API at ${base} (${(error as Error).message}): is it running? (--url)`,
        );
      }
      return {
        ok: res.ok,
        status: res.status,
        body: (await res.json().catch(() => ({}))) as ApiAnswer['body'],
      };
    },
  };
}

/** A refused request as a person reads it: the status, the API's message, each field it names. */
export function refusal(answer: ApiAnswer): string {
  const fields = (answer.body.error?.details?.fields ?? [])
    .map((f) => `\n  ${f.field}: ${f.message}`)
    .join('');
  return `${answer.status} ${answer.body.error?.message ?? ''}${fields}`;
}
