import type { Rows, UsageRow } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api } from './session.ts';
import { controls, page, rangeQuery, state, stepOfRange } from './state.ts';
import { chart, table } from './widgets.ts';

/** A select of the templates with calls in the range; picking one redraws the view. */
export async function templatePicker(): Promise<HTMLElement> {
  const templates = await api<Rows<UsageRow>>(
    `/api/v1/analytics/usage?${rangeQuery()}&group_by=template&figures=calls`,
  );
  const names = templates.rows.map((r) => r.template).filter((n): n is string => Boolean(n));
  if (!state.template || !names.includes(state.template)) state.template = names[0] ?? '';
  const select = el('select', { id: 'template' }, ...names.map((n) => el('option', { value: n }, n)));
  select.value = state.template;
  select.addEventListener('change', () => {
    state.template = select.value;
    page.rerender();
  });
  return el('label', {}, 'Template', select);
}

/** One template: its versions compared, latency and cost by version over time. */
export async function templateView(): Promise<void> {
  const picker = await templatePicker();
  const q = `${rangeQuery()}&template=${encodeURIComponent(state.template)}`;
  const step = stepOfRange();
  const [versions, overTime] = await Promise.all([
    api<Rows<UsageRow>>(
      `/api/v1/analytics/usage?${q}&group_by=version&figures=calls,success_rate,p95_ms,cost,cost_per_call,cost_per_success,cost_per_1k_calls`,
    ),
    api<Rows<UsageRow>>(`/api/v1/analytics/usage?${q}&group_by=version&step=${step}&figures=p95_ms,cost`),
  ]);
  main.replaceChildren(
    controls(picker),
    el(
      'div',
      { class: 'charts' },
      el(
        'div',
        { class: 'card', 'data-table': 'versions' },
        el('h3', {}, 'Versions compared'),
        table(versions.rows, [
          { label: 'version', value: (r) => r.version },
          { label: 'calls', value: (r) => r.calls, num: true },
          { label: 'success rate', value: (r) => fmt.rate(r.success_rate), num: true },
          { label: 'p95 ms', value: (r) => r.p95_ms, num: true },
          { label: 'cost', value: (r) => r.cost, num: true },
          { label: 'cost per call', value: (r) => r.cost_per_call, num: true },
          // Return on a version, side by side: what an answer that worked cost, and a thousand calls.
          { label: 'cost per success', value: (r) => r.cost_per_success, num: true },
          { label: 'cost per 1k calls', value: (r) => r.cost_per_1k_calls, num: true },
        ]),
      ),
      chart('P95 latency by version', overTime.rows, 'p95_ms', 'version', { unit: 'ms' }),
      chart('Cost by version', overTime.rows, 'cost', 'version', { unit: '$' }),
    ),
  );
}
