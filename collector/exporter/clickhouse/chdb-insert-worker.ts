import { parentPort, workerData } from 'node:worker_threads';
import { compactFrames } from '../../queue/spool.ts';
import { OTEL_COLUMNS } from '../../span-row.ts';
import { OTEL_INSERT_SETTINGS } from './otel-traces-insert.ts';

/**
 * Runs inserts into the in-process ClickHouse (chDB) on its own thread: a chDB insert holds the thread that calls
 * it, and the receiver's event loop must keep acknowledging requests meanwhile.
 */
const { path } = workerData as { path: string };

interface RawInsert {
  table: string;
  values: Buffer;
  format: 'JSONCompactEachRow';
  columns: readonly string[];
  settings: Record<string, string | number>;
}
const { createChdbConnection } = (await import('chdb/connection')) as unknown as {
  createChdbConnection: (o: { path: string }) => {
    chdb: { rawInsert: (p: RawInsert) => Promise<unknown> };
  };
};
// Two connections, so two batches are parsed at once (one per core) while the exporter works off a backlog.
const idle = [createChdbConnection({ path }), createChdbConnection({ path })];
const waiting: ((connection: (typeof idle)[number]) => void)[] = [];

async function withConnection<T>(use: (connection: (typeof idle)[number]) => Promise<T>): Promise<T> {
  const connection = idle.pop() ?? (await new Promise<(typeof idle)[number]>((r) => waiting.push(r)));
  try {
    return await use(connection);
  } finally {
    const next = waiting.shift();
    if (next) next(connection);
    else idle.push(connection);
  }
}

/**
 * One thread per insert, at a lower CPU priority (nice 10): the receiver, which must keep acknowledging, wins the
 * cores whenever it has work, and inserts take what is left.
 */
const INSERT_SETTINGS = {
  input_format_parallel_parsing: 0,
  max_threads: 1,
  max_insert_threads: 1,
  os_thread_priority: 10,
};

interface InsertMessage {
  id: number;
  /** Spool records as stored; compacted here into the INSERT's body, so the batch is never copied. */
  frames: Uint8Array;
  /** `<database>.otel_traces` */
  table: string;
  token: string;
}

parentPort!.on('message', async (m: InsertMessage) => {
  let body: Buffer | undefined;
  try {
    const { body: values, rows } = compactFrames(m.frames);
    body = values;
    // chDB's raw insert hands the bytes to the engine as they are, with the settings in the INSERT itself.
    // (Settings given through @clickhouse/client become `SET …;` statements in front of the data, and that
    // multi-statement path parses the same rows at about half the speed.)
    await withConnection((connection) =>
      connection.chdb.rawInsert({
        table: m.table,
        values,
        format: 'JSONCompactEachRow',
        columns: OTEL_COLUMNS,
        settings: {
          insert_deduplication_token: m.token,
          ...OTEL_INSERT_SETTINGS,
          ...INSERT_SETTINGS,
        },
      }),
    );
    // The batch's memory goes back to the receiver's thread, whose frequent collections free it within moments;
    // this thread allocates so little that its own collector would hold megabytes per batch for a long time.
    parentPort!.postMessage({ id: m.id, ok: true, rows }, [m.frames.buffer as ArrayBuffer]);
  } catch (error) {
    // The rows go back (as the body, once compacted), so a batch ClickHouse refuses can be retried, split and
    // dead-lettered by the exporter.
    parentPort!.postMessage(
      {
        id: m.id,
        ok: false,
        message: (error as Error).message,
        code: (error as { code?: string }).code,
        ...(body ? { body } : { frames: m.frames }),
      },
      [m.frames.buffer as ArrayBuffer],
    );
  }
});
parentPort!.postMessage({ ready: true });
