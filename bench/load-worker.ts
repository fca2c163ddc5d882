import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';

/** Runs autocannon on its own thread so the load generator does not share the server's event loop. */
const { url, connections, seconds, headers } = workerData as {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
};
const opts = { url, connections, duration: seconds, headers, pipelining: 1 };
// Inside a worker thread autocannon hands back raw histograms; aggregate them as it does on the main thread.
const raw = await autocannon(opts);
const aggregate = (autocannon as unknown as { aggregateResult: (r: unknown[], o: object) => unknown })
  .aggregateResult;
const result = 'latency' in raw && raw.latency ? raw : aggregate([raw], opts);
parentPort!.postMessage(JSON.parse(JSON.stringify(result)));
