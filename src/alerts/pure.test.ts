import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../platform/duration.ts';
import { parsePrometheusText } from './metric-history.ts';
import { cronForInterval } from './rules.ts';

describe('durations as Prometheus writes them', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['2w', 1_209_600_000],
    ['250ms', 250],
    ['0s', 0],
    ['1m30s500ms', 90_500],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '5 m', '-5m', '1.5h', '5M', '1y', '5m '])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('property: the shortest form reads back as the same milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { numRuns: 500 },
    );
  });
});

describe('an evaluation interval as a UTC-aligned cron expression', () => {
  it.each([
    [1_000, '*/1 * * * * *'],
    [15_000, '*/15 * * * * *'],
    [30_000, '*/30 * * * * *'],
    [60_000, '0 */1 * * * *'],
    [300_000, '0 */5 * * * *'],
    [3_600_000, '0 0 */1 * * *'],
    [43_200_000, '0 0 */12 * * *'],
    [86_400_000, '0 0 */24 * * *'],
  ])('%i ms fires as %s', (ms, cron) => {
    expect(cronForInterval(ms)).toBe(cron);
  });

  it.each([0, -1_000, 500, 7_000, 45_000, 90_000, 420_000, 5_400_000, 25_200_000, 2 * 86_400_000])(
    '%i ms cannot line up with the clock',
    (ms) => {
      expect(cronForInterval(ms)).toBeUndefined();
    },
  );
});

describe('the Prometheus text format, as scraped', () => {
  it('reads samples with their labels, escapes and timestamps, skipping comments', () => {
    const text = [
      '# HELP a_total Things',
      '# TYPE a_total counter',
      'a_total 3',
      'b{status="200",path="/v1/traces"} 12.5',
      'c{msg="say \\"hi\\"\\nthen \\\\"} 1 1700000000000',
      'd NaN',
      '',
      'not a sample line',
    ].join('\n');
    expect(parsePrometheusText(text, { instance: 'c1:4318' })).toEqual([
      { name: 'a_total', labels: { instance: 'c1:4318' }, value: 3 },
      { name: 'b', labels: { instance: 'c1:4318', status: '200', path: '/v1/traces' }, value: 12.5 },
      { name: 'c', labels: { instance: 'c1:4318', msg: 'say "hi"\nthen \\' }, value: 1 },
    ]);
  });
});
