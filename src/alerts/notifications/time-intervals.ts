/**
 * Alertmanager's time intervals (`time_intervals`, and the older `mute_time_intervals`): a named list of periods,
 * each a conjunction of optional `times` (HH:MM, start inclusive, end exclusive), `weekdays`, `days_of_month`
 * (negative = from the month's end), `months` and `years`, in a `location` (IANA zone, default UTC). A route with
 * `mute_time_intervals` sends nothing while one is active; one with `active_time_intervals` sends only then.
 */
import { wallClock } from '../../platform/wall-clock.ts';

export interface TimePeriod {
  /** Minutes since local midnight: [start, end). */
  times: { start: number; end: number }[];
  /** 0 = Sunday … 6 = Saturday, ranges inclusive. */
  weekdays: [number, number][];
  daysOfMonth: [number, number][];
  /** 1 … 12. */
  months: [number, number][];
  years: [number, number][];
  location: string;
}

export type TimeInterval = { name: string; periods: TimePeriod[] };

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** The raw period as the file writes it (validated by the file's schema for shape, here for meaning). */
export interface RawPeriod {
  times?: { start_time: string; end_time: string }[];
  weekdays?: string[];
  days_of_month?: string[];
  months?: string[];
  years?: string[];
  location?: string;
}

/** Parses one period; each problem is a message naming the field. */
export function parsePeriod(raw: RawPeriod, problems: string[], where: string): TimePeriod {
  const minutes = (text: string, field: string): number => {
    const m = /^(\d{2}):(\d{2})$/.exec(text);
    const value = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
    if (!m || Number(m[2]) > 59 || value > 24 * 60) {
      problems.push(`${where}.${field}: '${text}' is not a time of day like 09:00 (00:00 … 24:00)`);
      return 0;
    }
    return value;
  };
  const ranges = (
    list: string[] | undefined,
    field: string,
    one: (text: string) => number | undefined,
    what: string,
  ): [number, number][] =>
    (list ?? []).flatMap((item) => {
      const parts = item.split(':');
      const [a, b] = [one(parts[0]!.trim()), one((parts[1] ?? parts[0]!).trim())];
      if (parts.length > 2 || a === undefined || b === undefined) {
        problems.push(`${where}.${field}: '${item}' is not ${what} or a range of them (a:b)`);
        return [];
      }
      return [[a, b] as [number, number]];
    });
  const location = raw.location ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: location });
  } catch {
    problems.push(`${where}.location: '${location}' is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  const times = (raw.times ?? []).map((t, i) => {
    const start = minutes(t.start_time, `times[${i}].start_time`);
    const end = minutes(t.end_time, `times[${i}].end_time`);
    if (end <= start) problems.push(`${where}.times[${i}]: end_time must be after start_time`);
    return { start, end };
  });
  const named = (names: string[], offset: number) => (text: string) => {
    const i = names.indexOf(text.toLowerCase());
    if (i >= 0) return i + offset;
    return undefined;
  };
  const int = (min: number, max: number) => (text: string) => {
    if (!/^-?\d+$/.test(text)) return undefined;
    const n = Number(text);
    return n >= min && n <= max && n !== 0 ? n : undefined;
  };
  const monthNumber = (text: string) => named(MONTHS, 1)(text) ?? int(1, 12)(text);
  const daysOfMonth = ranges(
    raw.days_of_month,
    'days_of_month',
    int(-31, 31),
    'a day of the month (1 … 31, -1 = last)',
  );
  return {
    times,
    weekdays: ranges(raw.weekdays, 'weekdays', named(WEEKDAYS, 0), 'a weekday name'),
    daysOfMonth,
    months: ranges(raw.months, 'months', monthNumber, 'a month (name or 1 … 12)'),
    years: ranges(raw.years, 'years', int(1, 9999), 'a year'),
    location,
  };
}

function localParts(at: number, zone: string) {
  const w = wallClock(at, zone);
  return {
    year: w.year,
    month: w.month,
    day: w.day,
    daysInMonth: new Date(Date.UTC(w.year, w.month, 0)).getUTCDate(),
    weekday: WEEKDAYS.indexOf(w.weekday),
    minute: w.hour * 60 + w.minute,
  };
}

const inRanges = (value: number, ranges: [number, number][]) =>
  ranges.length === 0 || ranges.some(([a, b]) => value >= a && value <= b);

/** Whether `at` (Unix ms) lies in the period. */
export function periodContains(period: TimePeriod, at: number): boolean {
  const t = localParts(at, period.location);
  const days = period.daysOfMonth.map(([a, b]): [number, number] => [
    a < 0 ? t.daysInMonth + 1 + a : a,
    b < 0 ? t.daysInMonth + 1 + b : b,
  ]);
  return (
    (period.times.length === 0 || period.times.some((r) => t.minute >= r.start && t.minute < r.end)) &&
    inRanges(t.weekday, period.weekdays) &&
    inRanges(t.day, days) &&
    inRanges(t.month, period.months) &&
    inRanges(t.year, period.years)
  );
}

/** Whether any period of the interval contains `at`. */
export function intervalActive(interval: TimeInterval, at: number): boolean {
  return interval.periods.some((p) => periodContains(p, at));
}

/** Whether a route sends nothing at `at`: inside one of its mute intervals, or outside all of its active ones. */
export function isMuted(
  route: { muteTimeIntervals?: string[]; activeTimeIntervals?: string[] },
  intervals: ReadonlyMap<string, TimeInterval>,
  at: number,
): boolean {
  const active = (name: string) => {
    const interval = intervals.get(name);
    return interval !== undefined && intervalActive(interval, at);
  };
  if (route.muteTimeIntervals?.some(active)) return true;
  return (route.activeTimeIntervals?.length ?? 0) > 0 && !route.activeTimeIntervals!.some(active);
}
