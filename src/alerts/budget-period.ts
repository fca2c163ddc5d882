/**
 * A budget's period (a day or a month) in a named time zone: where the one holding an instant starts and ends, as
 * Unix ms. Midnight is found from the zone's offset at that time, so a day with a daylight-saving change is 23 or
 * 25 hours long, as a person in that zone lives it.
 */
import { wallClock } from '../platform/wall-clock.ts';

export { isTimeZone } from '../platform/wall-clock.ts';

export type BudgetPeriod = 'day' | 'month';

/** How far `timeZone`'s wall clock is ahead of UTC at instant `at`, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (at - (((at % 1000) + 1000) % 1000));
}

/** The instant of local midnight on year-month-day (month 1-based, overflow rolls on) in `timeZone`. */
function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  return second;
}

/** The period holding `at`: [start, end). */
export function periodAt(at: number, period: BudgetPeriod, timeZone: string): { start: number; end: number } {
  const w = wallClock(at, timeZone);
  if (period === 'day')
    return {
      start: localMidnight(w.year, w.month, w.day, timeZone),
      end: localMidnight(w.year, w.month, w.day + 1, timeZone),
    };
  return {
    start: localMidnight(w.year, w.month, 1, timeZone),
    end: localMidnight(w.year, w.month + 1, 1, timeZone),
  };
}
