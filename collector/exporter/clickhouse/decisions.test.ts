import { describe, expect, it } from 'vitest';
import { clickhouseErrorCode, isRetryable } from './errors.ts';
import { batchDue, nextBackoff } from './schedule.ts';

/** Which insert failures are retried (may pass later) and which isolate and dead-letter rows (about the rows). */
describe('an insert failure: retried, or about the rows', () => {
  it.each([
    ['ClickHouse down (no code)', new Error('connect ECONNREFUSED 127.0.0.1:8123'), undefined, true],
    ['a client error code', Object.assign(new Error('Too many parts'), { code: '252' }), 252, true],
    [
      'a missing table (someone will create it)',
      new Error('Code: 60. DB::Exception: Table default.otel_traces does not exist'),
      60,
      true,
    ],
    ['memory limit (try again)', new Error('Code: 241. DB::Exception: Memory limit exceeded'), 241, true],
    ['a parse error in the rows', new Error('Code: 27. DB::Exception: Cannot parse input'), 27, false],
    ['a date out of range', Object.assign(new Error('x'), { code: 321 }), 321, false],
    ['a decimal overflow', new Error('Code: 407. DB::Exception: Decimal overflow'), 407, false],
    ['a syntax error in the data', new Error('Code: 62. DB::Exception: Syntax error'), 62, false],
    ['a thrown string', 'boom', undefined, true],
    ['null', null, undefined, true],
  ])('%s', (_, error, code, retryable) => {
    expect(clickhouseErrorCode(error)).toBe(code);
    expect(isRetryable(error)).toBe(retryable);
  });
});

describe('when a batch is due', () => {
  const at = 1_000_000;
  it.each([
    ['nothing waits: look again in a whole interval', 0, undefined, 1_000],
    ['a full batch waits: now', 4_194_304, at - 1, 0],
    ['more than a batch waits: now', 9_000_000, at, 0],
    ['a little waits, just arrived: until it is an interval old', 100, at, 1_000],
    ['a little waits, 400 ms old: the remaining 600 ms', 100, at - 400, 600],
    ['a little waits, exactly an interval old: now', 100, at - 1_000, 0],
    ['a little waits, older than an interval (after an outage): now', 100, at - 60_000, 0],
    ['almost of age: at least 5 ms, never a busy loop', 100, at - 999, 5],
    ['a clock that stepped back: one interval, not the step', 100, at + 10_000, 1_000],
  ])('%s', (_, unreadBytes, oldestUnreadAt, wait) => {
    expect(
      batchDue({ unreadBytes, oldestUnreadAt, now: at, batchBytes: 4_194_304, flushIntervalMs: 1_000 }),
    ).toBe(wait);
  });
});

describe('the wait between retries of a failed insert', () => {
  it.each([
    [250, 500],
    [500, 1_000],
    [16_000, 30_000],
    [30_000, 30_000],
  ])('after %i ms: %i ms (doubling, 30 s at most)', (current, next) => {
    expect(nextBackoff(current, 30_000)).toBe(next);
  });
});
