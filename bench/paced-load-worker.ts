import { parentPort, workerData } from 'node:worker_threads';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { makeSpans } from './llm-spans.ts';

/**
 * Sends `rate` spans/s in batches of 100 for warm-up + `seconds` seconds with the real OTLP exporter and posts back
 * the acknowledgement latency (ms) of every request after the warm-up, and the errors of exports that failed.
 */
const { url, rate, seconds, warmUpSeconds } = workerData as {
  url: string;
  rate: number;
  seconds: number;
  warmUpSeconds: number;
};
const requests = (rate * (seconds + warmUpSeconds)) / 100;
const spans = makeSpans(requests * 100);
const latencies: number[] = [];
const failures: string[] = [];
const exporter = new OTLPTraceExporter({ url });
const start = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < requests; i++) {
  const wait = start + i * (100_000 / rate) - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const batch = spans.slice(i * 100, (i + 1) * 100);
  const sent = performance.now();
  const warmUp = i < (rate * warmUpSeconds) / 100;
  inflight.push(
    new Promise<void>((resolve) =>
      exporter.export(batch, (result) => {
        if (result.code !== 0) failures.push(String(result.error?.message ?? result.error));
        else if (!warmUp) latencies.push(performance.now() - sent);
        resolve();
      }),
    ),
  );
}
await Promise.all(inflight);
await exporter.shutdown();
parentPort!.postMessage({ latencies, failures });
