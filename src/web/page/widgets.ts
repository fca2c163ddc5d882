import { el } from './dom.ts';
import { colourOf, tickFormat } from './format.ts';
import { shown } from './state.ts';

/** A figure's card: its label and value, the exact value on hover. */
export function stat(id: string, label: string, text: string, exact?: string | number): HTMLElement {
  return el(
    'div',
    { class: 'stat', 'data-stat': id },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value', ...(exact !== undefined ? { title: String(exact) } : {}) }, text),
  );
}

export interface Column<R> {
  label: string;
  value: (row: R) => Node | string | number | null | undefined;
  num?: boolean;
}

export function table<R>(rows: R[], columns: Column<R>[]): HTMLElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { class: c.num ? 'num' : '' }, c.label)))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          {},
          ...columns.map((c) => {
            const v = c.value(r);
            return el('td', { class: c.num ? 'num' : '' }, v instanceof Node ? v : String(v ?? ''));
          }),
        ),
      ),
    ),
  );
}

type ChartRow = { bucket?: string } & Record<string, string | number | null | undefined>;

/**
 * A uPlot chart of one figure over buckets, one series per group (or one series): its x axis is the range the view
 * asked for, its width its card's, its y labels formatted in `unit` and never clipped. `scale` multiplies values (a
 * rate shown in percent). The drawn x range is on the card (data-x-min / data-x-max, Unix seconds) for tests.
 */
export function chart(
  title: string,
  rows: ChartRow[],
  figure: string,
  group?: string,
  o: { unit?: string; scale?: number } = {},
): HTMLElement {
  const unit = o.unit ?? '';
  const card = el('div', { class: 'card chart', 'data-chart': title }, el('h3', {}, title));
  const times = [...new Set(rows.map((r) => Date.parse(r.bucket ?? '') / 1000))].sort((a, b) => a - b);
  if (times.length === 0) {
    card.append(el('p', { class: 'empty' }, 'No calls in this range.'));
    return card;
  }
  const groups = group ? [...new Set(rows.map((r) => String(r[group] ?? '')))] : [''];
  const series = groups.map((g) =>
    times.map((t) => {
      const r = rows.find((x) => Date.parse(x.bucket ?? '') / 1000 === t && (!group || x[group] === g));
      const v = r?.[figure];
      return v === null || v === undefined ? null : Number(v) * (o.scale ?? 1);
    }),
  );
  const from = shown.from / 1000;
  const to = shown.to / 1000;
  const format = tickFormat(unit);
  // What a person reads off the chart, kept on the card for tests: the y tick labels and each series' colour.
  const labels = (u: uPlot, splits: number[]) => {
    const out = format(u, splits);
    card.dataset.yTicks = JSON.stringify(out);
    return out;
  };
  card.dataset.series = JSON.stringify(groups.map((g) => [g || title, colourOf(g || figure)]));
  const height = 220;
  const opts: uPlot.Options = {
    width: 300,
    height,
    scales: { x: { time: true, range: () => [from, to] } },
    series: [
      {},
      ...groups.map((g) => ({
        label: g || title,
        stroke: colourOf(g || figure),
        width: 2,
        spanGaps: true,
        points: { show: true },
        value: (u: uPlot, v: number | null) => (v === null ? '–' : format(u, [v, v + 1])[0]!),
      })),
    ],
    axes: [
      {},
      {
        values: labels,
        // Wide enough for the longest label: "100,000" never drawn as ",00,000".
        size: (_u: uPlot, values: string[] | null) =>
          values ? Math.max(...values.map((v) => String(v).length)) * 7 + 18 : 50,
      },
    ],
  };
  const drawn = (u: uPlot) => {
    card.dataset.xMin = String(u.scales.x!.min);
    card.dataset.xMax = String(u.scales.x!.max);
  };
  queueMicrotask(() => {
    const width = () => Math.max(200, card.clientWidth - 24);
    const plot = new uPlot({ ...opts, width: width(), hooks: { draw: [drawn] } }, [times, ...series], card);
    new ResizeObserver(() => plot.setSize({ width: width(), height })).observe(card);
  });
  return card;
}
