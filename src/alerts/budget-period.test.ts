import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTimeZone, periodAt } from './budget-period.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('a budget period in a time zone', () => {
  it.each([
    // at, period, zone → start, end
    ['2026-01-15T12:00:00Z', 'day', 'UTC', '2026-01-15T00:00:00.000Z', '2026-01-16T00:00:00.000Z'],
    [
      '2026-01-15T04:59:59Z',
      'day',
      'America/New_York',
      '2026-01-14T05:00:00.000Z',
      '2026-01-15T05:00:00.000Z',
    ],
    [
      '2026-01-15T05:00:00Z',
      'day',
      'America/New_York',
      '2026-01-15T05:00:00.000Z',
      '2026-01-16T05:00:00.000Z',
    ],
    // The day clocks go forward is 23 hours long, the day they go back 25
    [
      '2026-03-08T12:00:00Z',
      'day',
      'America/New_York',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
    ],
    [
      '2026-11-01T12:00:00Z',
      'day',
      'America/New_York',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ],
    ['2026-01-31T23:59:59Z', 'month', 'UTC', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['2026-02-01T00:00:00Z', 'month', 'UTC', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    // 23:30 UTC on the 31st is already February in Berlin
    [
      '2026-01-31T23:30:00Z',
      'month',
      'Europe/Berlin',
      '2026-01-31T23:00:00.000Z',
      '2026-02-28T23:00:00.000Z',
    ],
    // March in Berlin spans the change to summer time
    [
      '2026-03-15T12:00:00Z',
      'month',
      'Europe/Berlin',
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
    ],
    ['2026-12-31T12:00:00Z', 'month', 'Asia/Kolkata', '2026-11-30T18:30:00.000Z', '2026-12-31T18:30:00.000Z'],
    ['2026-12-31T19:00:00Z', 'month', 'Asia/Kolkata', '2026-12-31T18:30:00.000Z', '2027-01-31T18:30:00.000Z'],
  ] as const)('%s, %s in %s: from %s to %s', (at, period, zone, start, end) => {
    const p = periodAt(Date.parse(at), period, zone);
    expect([iso(p.start), iso(p.end)]).toEqual([start, end]);
  });

  it('every instant lies in its period, and the next period starts where it ends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') }),
        fc.constantFrom('day', 'month'),
        fc.constantFrom('UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu'),
        (at, period, zone) => {
          const p = periodAt(at, period, zone);
          expect(p.start <= at && at < p.end).toBe(true);
          expect(periodAt(p.end, period, zone).start).toBe(p.end);
        },
      ),
    );
  });

  it.each([
    ['Europe/Berlin', true],
    ['UTC', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
  ])('%s is a time zone: %s', (name, known) => {
    expect(isTimeZone(name)).toBe(known);
  });
});
