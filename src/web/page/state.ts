import { el } from './dom.ts';

const DAY = 86_400_000;

/** What the viewer chose; kept across views. */
export const state = { range: '24h' as keyof typeof RANGES, template: '', label: 'production', session: '' };
export const RANGES = { '1h': 3_600_000, '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
/** The range the view asked for (Unix ms): charts draw exactly this span, whatever the data holds. */
export const shown = { from: 0, to: 0 };

/** Draws the current view again (main.ts sets it: the views call it after a choice). */
export const page = { rerender: (): void => {} };

/** `from=…&to=…` for the chosen range, ending now; remembers it in `shown`. */
export function rangeQuery(): string {
  shown.to = Date.now();
  shown.from = shown.to - RANGES[state.range];
  return `from=${shown.from}&to=${shown.to}`;
}

/** The bucket size charts use for the chosen range. */
export function stepOfRange(): 'minute' | 'hour' | 'day' {
  return state.range === '1h' ? 'minute' : state.range === '24h' ? 'hour' : 'day';
}

/** The range picker, then whatever controls a view adds. */
export function controls(...extra: Node[]): HTMLElement {
  const range = el(
    'select',
    { id: 'range' },
    ...Object.keys(RANGES).map((r) => el('option', { value: r }, r)),
  );
  range.value = state.range;
  range.addEventListener('change', () => {
    state.range = range.value as keyof typeof RANGES;
    page.rerender();
  });
  return el('div', { class: 'controls' }, el('label', {}, 'Range', range), ...extra);
}
