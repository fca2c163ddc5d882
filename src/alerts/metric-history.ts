import type { Labels } from './labels.ts';
import type { MetricReader, Sample } from './rule-query.ts';

export interface MetricSample {
  name: string;
  labels: Labels;
  value: number;
}

/** A sample older than this is no longer the series' value (Prometheus's lookback). */
const STALE_AFTER_MS = 5 * 60_000;

/**
 * Scraped self-metrics over time, for `metric` rules: a gauge is its latest sample, a counter's increase is summed
 * over the window's samples (a drop is a restart: the new value counts from zero, as Prometheus's `increase`).
 */
export class MetricHistory implements MetricReader {
  readonly #series = new Map<string, { name: string; labels: Labels; samples: [number, number][] }>();
  readonly #keepMs: number;

  constructor(keepMs = 6 * 3_600_000) {
    this.#keepMs = keepMs;
  }

  record(ts: number, samples: readonly MetricSample[]): void {
    for (const s of samples) {
      const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
      let series = this.#series.get(key);
      if (!series) {
        series = { name: s.name, labels: s.labels, samples: [] };
        this.#series.set(key, series);
      }
      series.samples.push([ts, s.value]);
      while (series.samples.length > 1 && series.samples[0]![0] < ts - this.#keepMs) series.samples.shift();
    }
  }

  async read(metric: string, ts: number, increaseMs: number | undefined): Promise<Sample[]> {
    const out: Sample[] = [];
    for (const series of this.#series.values()) {
      if (series.name !== metric) continue;
      const upTo = series.samples.filter(([t]) => t <= ts);
      const last = upTo.at(-1);
      if (!last || ts - last[0] > STALE_AFTER_MS) continue;
      if (increaseMs === undefined) {
        out.push({ labels: series.labels, value: last[1] });
        continue;
      }
      const window = upTo.filter(([t]) => t >= ts - increaseMs);
      let increase = 0;
      for (let i = 1; i < window.length; i++) {
        const delta = window[i]![1] - window[i - 1]![1];
        increase += delta >= 0 ? delta : window[i]![1];
      }
      out.push({ labels: series.labels, value: increase });
    }
    return out;
  }
}

const LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text-format page (comments skipped); `extra` labels (e.g. the instance) are added. */
export function parsePrometheusText(text: string, extra: Labels = {}): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line.trim());
    if (!m) continue;
    const labels: Labels = { ...extra };
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL))
      labels[k!] = v!.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    const value = Number(m[3]);
    if (!Number.isNaN(value)) samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}
