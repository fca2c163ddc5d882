import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal } from './decimal.ts';

/** Money is exact: amounts read and written as decimal strings of pico-units, never through a float. */
describe('exact decimal amounts (property)', () => {
  const units = fc.bigInt({ min: 0n, max: 10n ** 30n });

  it('writes any amount so that reading it gives the same amount, without exponent notation or trailing zeros', () => {
    fc.assert(
      fc.property(units, (n) => {
        const text = formatDecimal(n);
        expect(parseDecimal(text)).toBe(n);
        expect(text).toMatch(/^\d+(\.\d*[1-9])?$/);
      }),
    );
  });

  it('writes a whole number of units exactly as the same amount as a BigInt (the hot path uses numbers)', () => {
    const edges = [
      0,
      1,
      10,
      999_999_999_999,
      1e12,
      1e12 + 1,
      1_306_000_000,
      8_999_999_999_999_999,
      2 ** 53 - 1,
    ];
    // Every whole-dollar boundary below 2^53, where a rounded quotient would show first.
    for (let dollars = 1; dollars * 1e12 <= Number.MAX_SAFE_INTEGER; dollars++)
      edges.push(dollars * 1e12 - 1, dollars * 1e12);
    for (const n of edges) expect(formatDecimal(n)).toBe(formatDecimal(BigInt(n)));
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(formatDecimal(n)).toBe(formatDecimal(BigInt(n)));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads any decimal of up to 12 places and writes it back in its shortest form', () => {
    const decimal = fc
      .tuple(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 12 }),
      )
      .map(([whole, fraction]) => (fraction ? `${whole}.${fraction}` : `${whole}`));
    fc.assert(
      fc.property(decimal, (text) => {
        const shortest = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
        expect(formatDecimal(parseDecimal(text))).toBe(shortest);
      }),
    );
  });

  it.each(['', '1e-6', '-1', '0.1234567890123', '1,5', ' ', 'NaN'])('refuses %j', (text) => {
    expect(() => parseDecimal(text)).toThrow();
  });
});
