import { parseDecimal } from '#sdk/pricing';
import type { Condition } from './rules.ts';

const PLAIN_DECIMAL = /^\d+(?:\.\d{1,12})?$/;

/**
 * Whether a value meets a rule's condition. Exact decimals (cost) are compared exactly against the threshold as
 * written; anything else as a number. No value (a p95 over no calls) never meets a condition.
 */
export function meets(value: number | string | null, condition: Condition): boolean {
  if (value === null || value === '') return false;
  const text = String(value);
  const order =
    PLAIN_DECIMAL.test(text) && PLAIN_DECIMAL.test(condition.threshold)
      ? compare(parseDecimal(text), parseDecimal(condition.threshold))
      : compare(Number(value), Number(condition.threshold));
  if (order === undefined) return false;
  switch (condition.op) {
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
  }
}

function compare<T extends number | bigint>(a: T, b: T): number | undefined {
  if (typeof a === 'number' && (Number.isNaN(a) || Number.isNaN(b as number))) return undefined;
  return a > b ? 1 : a < b ? -1 : 0;
}
