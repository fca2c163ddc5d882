/** Numbers as a person reads them; the exact value stays available (stat cards show it on hover). */
export const fmt = {
  calls: (v: number | string | null | undefined): string => Number(v ?? 0).toLocaleString('en-US'),
  /** Money: cents from $1 up, three significant digits below (never a float's tail, never exponent notation). */
  cost: (v: string | number | null | undefined): string => {
    if (v === null || v === undefined) return '–';
    const n = Number(v);
    if (n === 0) return '$0';
    return Math.abs(n) >= 1
      ? `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
      : `$${n.toLocaleString('en-US', { maximumSignificantDigits: 3, maximumFractionDigits: 20 })}`;
  },
  rate: (v: number | null | undefined): string =>
    v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)}%`,
  ms: (v: number | null | undefined): string =>
    v === null || v === undefined
      ? '–'
      : `${Number(v).toLocaleString('en-US', { maximumFractionDigits: Number(v) < 100 ? 1 : 0 })} ms`,
  /** A time in the viewer's own zone, to the second. */
  time: (iso: string | null | undefined): string =>
    iso
      ? new Date(iso).toLocaleString(undefined, {
          year: 'numeric',
          month: 'short',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        })
      : '–',
};

/** A series keeps its colour across ranges and views: picked by its name, not its position. */
const COLOURS = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00'];
export function colourOf(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return COLOURS[h % COLOURS.length]!;
}

/** Tick labels with as many decimals as the step between ticks needs: no two ticks read the same. */
export function tickFormat(unit: string): (u: unknown, splits: number[]) => string[] {
  return (_u, splits) => {
    const step = splits.length > 1 ? Math.abs(splits[1]! - splits[0]!) : 1;
    const decimals = step > 0 ? Math.min(10, Math.max(0, -Math.floor(Math.log10(step)))) : 0;
    return splits.map((v) => {
      const text = v.toLocaleString('en-US', {
        minimumFractionDigits: decimals,
        maximumFractionDigits: decimals,
      });
      return unit === '$' ? `$${text}` : unit ? `${text} ${unit}` : text;
    });
  };
}
