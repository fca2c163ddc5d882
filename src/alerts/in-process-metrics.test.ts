import { describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../../collector/index.ts';
import { exposition, processMetrics, samplesOf } from '../platform/metrics.ts';
import { parsePrometheusText } from './metric-history.ts';
import { AlertMetrics } from './metrics.ts';

function busyCollector(): CollectorMetrics {
  const metrics = new CollectorMetrics();
  metrics.spansAccepted += 41;
  metrics.spansAccepted++;
  metrics.countRequest(200);
  metrics.countRequest(200);
  metrics.countRequest(503);
  metrics.observeInsert(0.3, 1_000);
  metrics.fsyncDuration.observe(0.004);
  metrics.readGaugesFrom(() => ({
    spoolBytes: 2048,
    spoolOldestAgeSeconds: 1.5,
    inFlightBytes: 10,
    inFlightBytesPeak: 99,
  }));
  return metrics;
}

const sorted = (samples: { name: string; labels: Record<string, string>; value: number }[]) =>
  samples.map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`).sort();

describe("one process's metrics", () => {
  it('a scrape of /metrics reads what the scheduler reads in process: same series, labels and values', async () => {
    const collector = busyCollector();
    const alerts = new AlertMetrics();
    alerts.evaluations = 7;
    alerts.alerts.firing = 2;
    const registries = [collector.registry, alerts.registry];
    const scraped = parsePrometheusText(await exposition(registries)).filter((s) =>
      s.name.startsWith('promptscope_'),
    );
    const inProcess = (await samplesOf(registries)).filter((s) => s.name.startsWith('promptscope_'));
    expect(sorted(inProcess)).toEqual(sorted(scraped));
    expect(scraped).toEqual(
      expect.arrayContaining([
        { name: 'promptscope_collector_spans_accepted_total', labels: {}, value: 42 },
        { name: 'promptscope_collector_requests_total', labels: { status: '200' }, value: 2 },
        { name: 'promptscope_collector_requests_total', labels: { status: '503' }, value: 1 },
        { name: 'promptscope_collector_spans_written_total', labels: {}, value: 1_000 },
        { name: 'promptscope_collector_spool_bytes', labels: {}, value: 2048 },
        { name: 'promptscope_collector_insert_duration_seconds_bucket', labels: { le: '0.25' }, value: 0 },
        { name: 'promptscope_collector_insert_duration_seconds_bucket', labels: { le: '0.5' }, value: 1 },
        { name: 'promptscope_collector_insert_duration_seconds_count', labels: {}, value: 1 },
        { name: 'promptscope_alert_rule_evaluations_total', labels: {}, value: 7 },
        { name: 'promptscope_alerts', labels: { state: 'firing' }, value: 2 },
      ]),
    );
  });

  it('counters read at scrape time keep counting between scrapes (never reset by a scrape)', async () => {
    const collector = busyCollector();
    const accepted = async () =>
      (await samplesOf([collector.registry])).find(
        (s) => s.name === 'promptscope_collector_spans_accepted_total',
      )?.value;
    expect(await accepted()).toBe(42);
    collector.spansAccepted += 8;
    expect(await accepted()).toBe(50);
    expect(await accepted()).toBe(50);
  });

  it('/metrics carries the default process metrics once, however many components expose theirs', async () => {
    const text = await exposition([busyCollector().registry, new AlertMetrics().registry]);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_gc_duration_seconds',
    ])
      expect(text.match(new RegExp(`^# TYPE ${name} `, 'gm')), name).toHaveLength(1);
    expect(processMetrics()).toBe(processMetrics());
  });

  it('two collectors in one process keep their own counts', async () => {
    const a = busyCollector();
    const b = new CollectorMetrics();
    b.spansAccepted = 3;
    const value = async (m: CollectorMetrics) =>
      (await samplesOf([m.registry])).find((s) => s.name === 'promptscope_collector_spans_accepted_total')
        ?.value;
    expect([await value(a), await value(b)]).toEqual([42, 3]);
  });
});
