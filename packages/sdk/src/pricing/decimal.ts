/**
 * Money without floats: amounts are BigInt counts of 1e-12 units (pico-dollars), parsed from and written as
 * decimal strings. A price per million tokens with up to 6 decimals times a token count is exact at this scale.
 */
export const SCALE_DIGITS = 12;
const SCALE = 10n ** BigInt(SCALE_DIGITS);
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** "0.075" → 75_000_000_000n (pico units). Throws on anything that is not a plain non-negative decimal. */
export function parseDecimal(text: string): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const fraction = m[2] ?? '';
  if (fraction.length > SCALE_DIGITS) throw new Error(`more than ${SCALE_DIGITS} decimals: ${text}`);
  return BigInt(m[1]!) * SCALE + BigInt(fraction.padEnd(SCALE_DIGITS, '0'));
}

/** 225_000_000n → "0.000225": shortest exact decimal, never exponent notation. */
export function formatDecimal(units: bigint | number): string {
  if (typeof units === 'number' && Number.isSafeInteger(units) && units >= 0) return formatWholeUnits(units);
  const negative = units < 0;
  let digits = (negative ? -units : units).toString();
  if (digits.length <= SCALE_DIGITS) digits = digits.padStart(SCALE_DIGITS + 1, '0');
  const point = digits.length - SCALE_DIGITS;
  let end = digits.length;
  while (end > point && digits.charCodeAt(end - 1) === 48) end--;
  const whole = digits.slice(0, point);
  return `${negative ? '-' : ''}${whole}${end > point ? `.${digits.slice(point, end)}` : ''}`;
}

/** A price per million tokens (≤ 6 decimals) as whole pico-units per token, for exact integer arithmetic. */
export function perToken(pricePerMillion: bigint): number {
  if (pricePerMillion % 1_000_000n !== 0n)
    throw new Error('a price per million tokens may have at most 6 decimals');
  return Number(pricePerMillion / 1_000_000n);
}

/** Cost of `tokens` at a price per million tokens (both exact); rounds half up below 1e-12. */
export function costOfTokens(tokens: number, pricePerMillion: bigint): bigint {
  if (!Number.isSafeInteger(tokens) || tokens < 0)
    throw new Error(`token count must be a whole number ≥ 0: ${tokens}`);
  return (BigInt(tokens) * pricePerMillion + 500_000n) / 1_000_000n;
}

const ZEROS = Array.from({ length: SCALE_DIGITS }, (_, n) => '0'.repeat(n));

/**
 * formatDecimal for a whole, non-negative number of pico-units below 2^53, without a BigInt or a padded digit string.
 * `Math.floor(units / 1e12)` is the exact quotient there: the division is correctly rounded, and below 2^14 dollars
 * half an ulp is under 1e-12, so it never rounds across a whole number.
 */
function formatWholeUnits(units: number): string {
  const whole = Math.floor(units / 1e12);
  let fraction = units - whole * 1e12;
  if (fraction === 0) return `${whole}`;
  let places = SCALE_DIGITS;
  while (fraction % 10 === 0) {
    fraction /= 10;
    places--;
  }
  const digits = `${fraction}`;
  return `${whole}.${ZEROS[places - digits.length]}${digits}`;
}
