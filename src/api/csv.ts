/**
 * A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage return first) gets a
 * leading `'`, as OWASP advises against CSV injection: template names and error messages come from anyone who can send
 * a span. Numbers, including negative ones, are left as they are.
 */
const FORMULA = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** Rows as CSV (RFC 4180): a header from the first row's keys, fields quoted where needed, CRLF line ends. */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const names = columns ?? Object.keys(rows[0] ?? {});
  const field = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    const safe = typeof v === 'string' && FORMULA.test(text) && !NUMBER.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return `${[names.map(field).join(','), ...rows.map((r) => names.map((n) => field(r[n])).join(','))].join('\r\n')}\r\n`;
}

/** Whether the client asked for CSV (`Accept: text/csv`) rather than JSON. */
export function wantsCsv(accept: string | undefined): boolean {
  return /\btext\/csv\b/i.test(accept ?? '');
}
