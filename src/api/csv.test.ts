import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.ts';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF) back into rows of strings. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('CSV answers', () => {
  it.each([
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ['+1+cmd|calc', `'+1+cmd|calc`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tleading tab', `'\tleading tab`],
    ['-0.25', '-0.25'],
    ['1e-7', '1e-7'],
    ['plain', 'plain'],
  ])('a text cell %j is written so a spreadsheet shows %j, not a formula', (value, shown) => {
    const [, [cell]] = parseCsv(toCsv([{ template_name: value }])) as [string[], string[]];
    expect(cell).toBe(shown);
  });

  it('numbers stay numbers, negative ones too', () => {
    expect(toCsv([{ delta: -3, cost: '0.5' }])).toBe('delta,cost\r\n-3,0.5\r\n');
  });

  it('has its header even with no rows, when the columns are known', () => {
    expect(toCsv([], ['hour', 'total'])).toBe('hour,total\r\n');
  });

  it('property: every row reads back with the same number of cells, and safe cells unchanged', () => {
    const cell = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell), { maxLength: 10 }), (pairs) => {
        const rows = pairs.map(([a, b]) => ({ a, b }));
        const parsed = parseCsv(toCsv(rows));
        expect(parsed).toHaveLength(rows.length + 1);
        for (const [i, r] of rows.entries()) {
          const back = parsed[i + 1]!;
          expect(back).toHaveLength(2);
          for (const [j, v] of [r.a, r.b].entries())
            expect(back[j]).toBe(
              /^[=+\-@\t\r]/.test(v) && !/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) ? `'${v}` : v,
            );
        }
      }),
      { numRuns: 300 },
    );
  });
});
