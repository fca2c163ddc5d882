import fs from 'node:fs/promises';
import path from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { scopeChdbSettings } from './chdb-settings-scope.ts';
import { type ClickHouseDialect, clusterDialect, SINGLE } from './clickhouse-dialect.ts';
import { isAlive } from './process-alive.ts';
import { redactUrl } from './redact-url.ts';

export type { ClickHouseClient };

export interface ClickHouseStore {
  client: ClickHouseClient;
  database: string;
  /** The shape of schema the server takes: one node, a cluster, ClickHouse Cloud. */
  dialect: ClickHouseDialect;
  embedded: boolean;
  /** Where the embedded engine keeps its data, or the redacted server URL. */
  location: string;
  close(): Promise<void>;
}

export interface ClickHouseOptions {
  clickhouseUrl: string | undefined;
  database: string;
  dataDir: string;
  /** A cluster's name (PROMPTSCOPE_CLICKHOUSE_CLUSTER): a server of that cluster; never the embedded engine. */
  cluster?: string;
}

/** Opens the configured ClickHouse server, or the in-process chDB engine when no URL is set. */
export async function openClickHouse(options: ClickHouseOptions): Promise<ClickHouseStore> {
  if (options.cluster && !options.clickhouseUrl)
    throw new Error('PROMPTSCOPE_CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL: the embedded engine is one node');
  if (options.clickhouseUrl) {
    const bootstrap = createClient({ url: options.clickhouseUrl, database: 'default' });
    try {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
    } catch (error) {
      throw new Error(
        `cannot reach ClickHouse at ${redactUrl(options.clickhouseUrl)}: ${(error as Error).message}`,
      );
    } finally {
      await bootstrap.close();
    }
    const dialect = options.cluster ? clusterDialect(options.cluster) : SINGLE;
    const client = createClient({
      url: options.clickhouseUrl,
      database: options.database,
      // On a cluster every write goes through a Distributed table: answered once each shard holds its rows, so an
      // acknowledged span is stored, and a retried insert carries its deduplication token to the shards.
      ...(dialect.kind === 'cluster' ? { clickhouse_settings: { distributed_foreground_insert: 1 } } : {}),
    });
    return {
      client,
      database: options.database,
      dialect: dialect.kind === 'cluster' ? dialect : await detectCloud(client),
      embedded: false,
      location: redactUrl(options.clickhouseUrl),
      close: () => client.close(),
    };
  }
  const chdb = await loadChdb();
  const dir = path.join(options.dataDir, 'clickhouse');
  const release = await claimDataDir(path.join(options.dataDir, 'clickhouse.owner.json'), dir);
  // The first session on a folder starts the engine with its server settings; later ones share it.
  const engine = new chdb.Session(dir, { connectionArgs: ENGINE_ARGS });
  const connection = scopeChdbSettings(chdb.createChdbConnection({ path: dir }));
  // chDB keeps no per-request database: create it and make it the session's current one.
  const client = createClient({ connection } as unknown as Parameters<typeof createClient>[0]);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
  await client.command({ query: `USE ${options.database}` });
  return {
    client,
    database: options.database,
    dialect: SINGLE,
    embedded: true,
    location: dir,
    async close() {
      await client.close();
      engine.close();
      await release();
    },
  };
}

/** ClickHouse Cloud keeps its tables in a `Shared` database (SharedMergeTree): its dialect; any other server, one node. */
async function detectCloud(client: ClickHouseClient): Promise<ClickHouseDialect> {
  const rs = await client.query({
    query: 'SELECT engine FROM system.databases WHERE name = currentDatabase()',
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ engine: string }>();
  return row?.engine === 'Shared' ? { kind: 'cloud' } : SINGLE;
}

/**
 * Server settings of the in-process engine. Background merges run at a lower CPU priority (nice 10): on a small
 * machine they share cores with the OTLP receiver, whose acknowledgements must not wait behind them.
 */
const ENGINE_ARGS = ['--os_threads_nice_value_merge_mutate=10'];

interface Chdb {
  createChdbConnection: (options: { path: string }) => unknown;
  Session: new (
    path: string,
    options: { connectionArgs: readonly string[] },
  ) => {
    close(): void;
  };
}

/**
 * The in-process engine's allocator settings (chDB's jemalloc reads JE_MALLOC_CONF once, when the library loads).
 * With jemalloc's defaults the pages an insert frees stay resident for up to 5 s: during a burst of spans, two inserts
 * at once left ~200 MB of freed pages resident (`system.jemalloc_stats`: 107 MB allocated, 321 MB resident; the
 * inserts free and allocate large buffers all the time). Here buffers of 1 MB and more go back to the system as soon
 * as they are freed, other freed pages after 100 ms. Costs ~10 % of the engine's insert speed (`npm run bench --
 * collector`: peak 583–589 MB, 571–616 MB with 250 ms, 641 MB with jemalloc's defaults). Set JE_MALLOC_CONF to choose.
 */
export const EMBEDDED_MALLOC_CONF = 'oversize_threshold:1048576,dirty_decay_ms:100';

async function loadChdb(): Promise<Chdb> {
  process.env.JE_MALLOC_CONF ??= EMBEDDED_MALLOC_CONF;
  try {
    const [connection, chdb] = await Promise.all([import('chdb/connection'), import('chdb')]);
    return {
      createChdbConnection: (connection as unknown as Chdb).createChdbConnection,
      Session: (chdb as unknown as Chdb).Session,
    };
  } catch (error) {
    throw new Error(
      `CLICKHOUSE_URL is not set and the optional package 'chdb' is not installed: set CLICKHOUSE_URL to a ClickHouse server or run 'npm install chdb' (${String(error)})`,
    );
  }
}

/** chDB opens a data directory in one process only: refuse clearly when a live process holds it. */
async function claimDataDir(ownerFile: string, dir: string): Promise<() => Promise<void>> {
  await fs.mkdir(path.dirname(ownerFile), { recursive: true });
  try {
    const owner = JSON.parse(await fs.readFile(ownerFile, 'utf8')) as { pid: number };
    if (owner.pid !== process.pid && isAlive(owner.pid)) {
      throw new Error(
        `the embedded ClickHouse in ${dir} is in use by process ${owner.pid} (a running 'promptscope start'?): ` +
          'stop it first, or set CLICKHOUSE_URL to a ClickHouse server',
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  await fs.writeFile(ownerFile, JSON.stringify({ pid: process.pid }));
  return () => fs.rm(ownerFile, { force: true });
}
