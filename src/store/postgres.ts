import postgres from 'postgres';
import type { Logger } from '../platform/log.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { redactUrl } from './redact-url.ts';

export type Sql = postgres.Sql;
/** A pool or an open transaction: what helpers that may run inside a transaction take. */
export type TransactionSql = postgres.TransactionSql;
export type ReservedSql = postgres.ReservedSql;
export type Queryable = postgres.Sql | postgres.TransactionSql;

export interface PostgresStore {
  sql: Sql;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

export interface PostgresOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPort: number;
  log: Logger;
  /** Pool size; the API's read path is served from memory, so a small pool is enough. */
  max?: number;
}

/** Opens the configured Postgres, or starts the embedded one when no URL is set. */
export async function openPostgres(options: PostgresOptions): Promise<PostgresStore> {
  const embedded = options.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: options.dataDir, port: options.embeddedPort, log: options.log });
  const url = options.databaseUrl ?? embedded!.url;
  const sql = connectPostgres(url, options.max);
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 });
    await embedded?.stop();
    throw new Error(`cannot connect to Postgres at ${redactUrl(url)}: ${(error as Error).message}`);
  }
  return {
    sql,
    url,
    embedded: embedded !== undefined,
    async close() {
      await sql.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}

/** A postgres.js pool with our conventions (quiet notices, bigint as string). */
export function connectPostgres(url: string, max = 10): Sql {
  return postgres(url, { max, onnotice: () => {}, connect_timeout: 10, idle_timeout: 60 });
}
