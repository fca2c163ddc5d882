import { describe, expect, it } from 'vitest';
import { clickhouseErrorCode, isRetryable } from './writer.ts';

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
