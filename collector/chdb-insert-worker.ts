import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '@clickhouse/client';
import { OTEL_INSERT } from './otlp/spans-to-rows.ts';

/**
 * Runs inserts into the in-process ClickHouse (chDB) on its own thread: a chDB insert holds the thread that calls
 * it, and the receiver's event loop must keep acknowledging requests meanwhile.
 */
const { path, database } = workerData as { path: string; database: string };
const { createChdbConnection } = (await import('chdb/connection')) as unknown as {
  createChdbConnection: (o: { path: string }) => unknown;
};
const client = createClient({ connection: createChdbConnection({ path }) } as unknown as Parameters<
  typeof createClient
>[0]);
await client.command({ query: `USE ${database}` });

interface InsertMessage {
  id: number;
  payload: Uint8Array;
  token: string;
}

parentPort!.on('message', async (m: InsertMessage) => {
  try {
    await client.command({
      query: `${OTEL_INSERT}\n${Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength).toString('utf8')}`,
      clickhouse_settings: {
        insert_deduplication_token: m.token,
        deduplicate_blocks_in_dependent_materialized_views: 1,
      },
    });
    parentPort!.postMessage({ id: m.id, ok: true });
  } catch (error) {
    parentPort!.postMessage({
      id: m.id,
      ok: false,
      message: (error as Error).message,
      code: (error as { code?: string }).code,
    });
  }
});
parentPort!.postMessage({ ready: true });
