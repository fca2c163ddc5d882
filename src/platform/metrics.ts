import type { ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/** One sample as Prometheus would scrape it: a series name (with _bucket/_sum/_count for histograms) and labels. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

let defaults: Registry | undefined;

/**
 * This process's default metrics (CPU, resident memory, heap, GC, event-loop lag, handles: prom-client's), collected
 * once per process however many components expose metrics.
 */
export function processMetrics(): Registry {
  if (!defaults) {
    defaults = new Registry();
    collectDefaultMetrics({ register: defaults });
  }
  return defaults;
}

/**
 * The process's /metrics page: the default metrics and each component's registry (the collector's, the scheduler's),
 * in the Prometheus text format. Each component keeps its own registry, so two collectors in one process (tests) do
 * not collide.
 */
export async function exposition(registries: readonly Registry[]): Promise<string> {
  return Registry.merge([processMetrics(), ...registries]).metrics();
}

/** The content type of `exposition`. */
export const EXPOSITION_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A counter whose value hot code keeps as a plain number (`+=` on every span costs nothing); the registry reads it at
 * scrape time.
 */
export function countedBy(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge read at scrape time (bytes in the spool, an outbox's depth). */
export function gaugedBy(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** The samples of registries, read in process (the scheduler reading its own process's collector). */
export async function samplesOf(registries: readonly Registry[]): Promise<MetricSample[]> {
  const samples: MetricSample[] = [];
  for (const registry of registries)
    for (const metric of await registry.getMetricsAsJSON())
      for (const v of metric.values) {
        const labels: Record<string, string> = {};
        for (const [k, l] of Object.entries(v.labels)) if (l !== undefined) labels[k] = String(l);
        samples.push({
          name: (v as { metricName?: string }).metricName ?? metric.name,
          labels,
          value: v.value,
        });
      }
  return samples;
}

/** The series names registries expose (histograms with _bucket, _sum, _count), without collecting values. */
export function seriesNames(registries: readonly Registry[]): string[] {
  const names: string[] = [];
  for (const registry of registries)
    for (const metric of registry.getMetricsAsArray()) {
      const { name, type } = metric as unknown as { name: string; type: string };
      if (type === 'histogram') names.push(`${name}_bucket`, `${name}_sum`, `${name}_count`);
      else names.push(name);
    }
  return names;
}

/** Answers a GET /metrics: the exposition of these registries (500 with the reason if a collect callback fails). */
export function serveExposition(res: ServerResponse, registries: readonly Registry[]): void {
  exposition(registries).then(
    (text) => {
      res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
      res.end(text);
    },
    (error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`cannot collect metrics: ${(error as Error).message}`);
    },
  );
}
