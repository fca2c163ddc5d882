import type { Queryable } from '../store/postgres.ts';
import type { Labels } from './labels.ts';
import type { MetricReader, Sample } from './rule-query.ts';

export interface MetricSample {
  name: string;
  labels: Labels;
  value: number;
}

/** A sample older than this is no longer the series' value (Prometheus's lookback). */
export const STALE_AFTER_MS = 5 * 60_000;

/**
 * A series' value at `ts` from its samples in time order: a gauge is its latest sample (if not stale), a counter's
 * increase is summed over the window's samples (a drop is a restart: the new value counts from zero, as Prometheus's
 * `increase`). Undefined when the series has no fresh sample.
 */
export function seriesValue(
  samples: readonly (readonly [number, number])[],
  ts: number,
  increaseMs: number | undefined,
): number | undefined {
  const upTo = samples.filter(([t]) => t <= ts);
  const last = upTo.at(-1);
  if (!last || ts - last[0] > STALE_AFTER_MS) return undefined;
  if (increaseMs === undefined) return last[1];
  const window = upTo.filter(([t]) => t >= ts - increaseMs);
  let increase = 0;
  for (let i = 1; i < window.length; i++) {
    const delta = window[i]![1] - window[i - 1]![1];
    increase += delta >= 0 ? delta : window[i]![1];
  }
  return increase;
}

/** Where scraped samples are kept and read back by `metric` rules. */
export interface MetricStore extends MetricReader {
  record(ts: number, samples: readonly MetricSample[]): Promise<void> | void;
}

/** Scraped self-metrics over time, in memory (rule unit tests). */
export class MetricHistory implements MetricStore {
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
      const value = seriesValue(series.samples, ts, increaseMs);
      if (value !== undefined) out.push({ labels: series.labels, value });
    }
    return out;
  }
}

/**
 * Scraped self-metrics in Postgres (alert_metric_samples), so the history survives the active scheduler: the one
 * that takes over reads what the previous one recorded. Only the metrics rules read are kept, for `keepMs`.
 */
export class PostgresMetricHistory implements MetricStore {
  readonly #sql: Queryable;
  readonly #names: Set<string>;
  readonly #keepMs: number;
  #prunedAt = 0;

  constructor(sql: Queryable, names: Iterable<string>, keepMs = 6 * 3_600_000) {
    this.#sql = sql;
    this.#names = new Set(names);
    this.#keepMs = keepMs;
  }

  async record(ts: number, samples: readonly MetricSample[]): Promise<void> {
    const kept = samples.filter((s) => this.#names.has(s.name));
    if (kept.length > 0) {
      const at = new Date(ts);
      await this.#sql`insert into alert_metric_samples ${this.#sql(
        kept.map((s) => ({ name: s.name, labels: s.labels, at, value: s.value })),
      )}`;
    }
    if (ts - this.#prunedAt > 10 * 60_000) {
      this.#prunedAt = ts;
      await this.#sql`delete from alert_metric_samples where at < ${new Date(ts - this.#keepMs)}`;
    }
  }

  async read(metric: string, ts: number, increaseMs: number | undefined): Promise<Sample[]> {
    const from = new Date(ts - Math.max(increaseMs ?? 0, STALE_AFTER_MS));
    const rows = await this.#sql<{ labels: Labels; at: Date; value: number }[]>`
      select labels, at, value from alert_metric_samples
      where name = ${metric} and at >= ${from} and at <= ${new Date(ts)} order by at`;
    const series = new Map<string, { labels: Labels; samples: [number, number][] }>();
    for (const r of rows) {
      const key = JSON.stringify(Object.entries(r.labels).sort());
      const s = series.get(key) ?? { labels: r.labels, samples: [] };
      series.set(key, s);
      s.samples.push([r.at.getTime(), r.value]);
    }
    const out: Sample[] = [];
    for (const s of series.values()) {
      const value = seriesValue(s.samples, ts, increaseMs);
      if (value !== undefined) out.push({ labels: s.labels, value });
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
