import { parentPort, workerData } from 'node:worker_threads';
import { type ClickHouseSettings, createClient } from '@clickhouse/client';
import { OTEL_INSERT } from './otlp/spans-to-rows.ts';
import { decodeFrames } from './spool.ts';

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

/** One core for parsing: the other stays with the receiver, which must keep acknowledging. */
const PARSING: ClickHouseSettings = {
  input_format_parallel_parsing: 0,
  max_threads: 1,
  max_insert_threads: '1',
};

interface InsertMessage {
  id: number;
  /** Spool records as stored; decoded here so the receiver's thread never builds the batch text. */
  frames: Uint8Array;
  token: string;
}

parentPort!.on('message', async (m: InsertMessage) => {
  try {
    const { text, rows } = decodeFrames(m.frames);
    await client.command({
      query: `${OTEL_INSERT}\n${text}`,
      clickhouse_settings: {
        insert_deduplication_token: m.token,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        ...PARSING,
      },
    });
    parentPort!.postMessage({ id: m.id, ok: true, rows });
  } catch (error) {
    // The frames go back, so a batch ClickHouse refuses can still be dead-lettered by the writer.
    parentPort!.postMessage(
      {
        id: m.id,
        ok: false,
        message: (error as Error).message,
        code: (error as { code?: string }).code,
        frames: m.frames,
      },
      [m.frames.buffer as ArrayBuffer],
    );
  }
});
parentPort!.postMessage({ ready: true });
