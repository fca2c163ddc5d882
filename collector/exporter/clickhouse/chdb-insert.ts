import { Worker } from 'node:worker_threads';
import { recordOfBody, type SpoolBatch } from '../../queue/spool.ts';

interface Reply {
  id: number;
  ok: boolean;
  rows?: number;
  message?: string;
  code?: string;
  /** The batch's records as given (when it failed before they were compacted)... */
  frames?: Uint8Array;
  /** ...or its rows, compacted into the INSERT's body. */
  body?: Uint8Array;
}

interface InsertWorker {
  post(batch: SpoolBatch, table: string, token: string): Promise<number>;
}

/**
 * One insert thread per chDB data folder, for the life of the process. It is never stopped: when a thread that
 * opened a chDB session exits, the process's shared engine goes with it and every other session on it hangs.
 */
const workers = new Map<string, Promise<InsertWorker>>();

/**
 * Inserts spooled batches into the in-process ClickHouse (chDB) from a worker thread, whose inserts would otherwise
 * stall the receiver's event loop for as long as they take. Resolves with the number of rows inserted.
 */
export async function chdbInsertOnWorker(
  location: string,
  database: string,
  instanceId: string,
): Promise<(batch: SpoolBatch) => Promise<number>> {
  await insertWorker(location);
  // Looked up on every insert: should the thread ever die, the next attempt (a retry) starts a new one.
  return async (batch) =>
    (await insertWorker(location)).post(batch, `${database}.otel_traces`, `${instanceId}:${batch.token}`);
}

function insertWorker(location: string): Promise<InsertWorker> {
  let worker = workers.get(location);
  if (!worker) {
    worker = startInsertWorker(location);
    workers.set(location, worker);
    worker.catch(() => workers.delete(location));
  }
  return worker;
}

async function startInsertWorker(location: string): Promise<InsertWorker> {
  const worker = new Worker(new URL('./chdb-insert-worker.ts', import.meta.url), {
    workerData: { path: location },
  });
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => resolve());
  });
  const pending = new Map<
    number,
    { batch: SpoolBatch; resolve: (rows: number) => void; reject: (e: Error) => void }
  >();
  let next = 0;
  worker.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) return p.resolve(m.rows ?? 0);
    if (m.frames) p.batch.frames = Buffer.from(m.frames.buffer, m.frames.byteOffset, m.frames.byteLength);
    // The same rows as one record: a retry, a split or a dead letter reads the same lines.
    if (m.body) p.batch.frames = recordOfBody(m.body);
    p.reject(Object.assign(new Error(m.message), { code: m.code }));
  });
  const fail = (error: Error) => {
    workers.delete(location);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the chDB insert thread exited with code ${code}`)));
  return {
    // The spool bytes move to the worker without a copy; it decodes them and comes back with the row count.
    post: (batch, table, token) =>
      new Promise<number>((resolve, reject) => {
        const id = next++;
        pending.set(id, { batch, resolve, reject });
        const frames = batch.frames;
        worker.postMessage({ id, frames, table, token }, [frames.buffer as ArrayBuffer]);
      }),
  };
}
