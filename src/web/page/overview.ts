import type { Rows, TopCall, UsageRow } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api } from './session.ts';
import { controls, rangeQuery, stepOfRange } from './state.ts';
import { chart, stat, table } from './widgets.ts';

/** Totals, cost and latency by template over time, errors, the dearest calls. */
export async function overview(): Promise<void> {
  const q = rangeQuery();
  const step = stepOfRange();
  const [total, byTemplateDay, byTemplate, errors, top, tenants, users] = await Promise.all([
    // Each query computes only the figures it shows: far cheaper over a month of calls than all of them.
    api<Rows<UsageRow>>(
      `/api/v1/analytics/usage?${q}&figures=calls,cost,success_rate,p95_ms,unpriced_share,cost_per_1k_calls`,
    ),
    api<Rows<UsageRow>>(`/api/v1/analytics/usage?${q}&step=${step}&group_by=template&figures=cost,p95_ms`),
    api<Rows<UsageRow>>(
      `/api/v1/analytics/usage?${q}&group_by=template&figures=calls,cost,p95_ms,unpriced_calls`,
    ),
    api<Rows<UsageRow>>(`/api/v1/analytics/usage?${q}&step=${step}&figures=error_rate,output_tokens`),
    api<Rows<TopCall>>(`/api/v1/analytics/top-calls?${q}&limit=10`),
    // Who spent it: the tenants and users who cost most (read from the calls, never the rollup).
    api<Rows<UsageRow>>(
      `/api/v1/analytics/usage?${q}&group_by=tenant&figures=calls,cost&order_by=cost&limit=10`,
    ),
    api<Rows<UsageRow>>(
      `/api/v1/analytics/usage?${q}&group_by=user&figures=calls,cost&order_by=cost&limit=10`,
    ),
  ]);
  const t = total.rows[0] ?? {};
  main.replaceChildren(
    controls(),
    el(
      'div',
      { class: 'stats' },
      stat('calls', 'Calls', fmt.calls(t.calls), t.calls),
      stat(
        'cost',
        'Cost',
        fmt.cost(t.cost),
        t.cost === null || t.cost === undefined ? undefined : `$${t.cost}`,
      ),
      stat('success_rate', 'Success rate', fmt.rate(t.success_rate), t.success_rate ?? undefined),
      stat(
        'p95_ms',
        'P95 latency',
        fmt.ms(t.p95_ms),
        t.p95_ms === null || t.p95_ms === undefined ? undefined : `${t.p95_ms} ms`,
      ),
      stat('unpriced_share', 'Unpriced share', fmt.rate(t.unpriced_share), t.unpriced_share ?? undefined),
      stat(
        'cost_per_1k_calls',
        'Cost per 1k calls',
        fmt.cost(t.cost_per_1k_calls),
        t.cost_per_1k_calls === null || t.cost_per_1k_calls === undefined
          ? undefined
          : `$${t.cost_per_1k_calls}`,
      ),
    ),
    el(
      'div',
      { class: 'charts' },
      chart('Cost by template', byTemplateDay.rows, 'cost', 'template', { unit: '$' }),
      chart('P95 latency by template', byTemplateDay.rows, 'p95_ms', 'template', { unit: 'ms' }),
      chart('Error rate', errors.rows, 'error_rate', undefined, { unit: '%', scale: 100 }),
      chart('Output tokens', errors.rows, 'output_tokens', undefined, { unit: 'tokens' }),
      el(
        'div',
        { class: 'card' },
        el('h3', {}, 'Cost by template'),
        table(byTemplate.rows, [
          { label: 'template', value: (r) => r.template },
          { label: 'calls', value: (r) => fmt.calls(r.calls), num: true },
          { label: 'cost', value: (r) => `$${r.cost}`, num: true },
          { label: 'p95', value: (r) => fmt.ms(r.p95_ms), num: true },
          { label: 'unpriced', value: (r) => fmt.calls(r.unpriced_calls), num: true },
        ]),
      ),
      el(
        'div',
        { class: 'card' },
        el('h3', {}, 'Most expensive calls'),
        table(top.rows, [
          { label: 'at', value: (r) => fmt.time(r.at) },
          { label: 'template', value: (r) => `${r.template}@${r.version}` },
          { label: 'model', value: (r) => r.model },
          { label: 'cost', value: (r) => `$${r.cost}`, num: true },
        ]),
      ),
      spenders('Top tenants', 'tenant', tenants.rows),
      spenders('Top users', 'user', users.rows),
    ),
  );
}

/** Who cost most: a tenant's or user's calls and cost, dearest first; calls that named none are "unattributed". */
function spenders(title: string, key: 'tenant' | 'user', rows: UsageRow[]): HTMLElement {
  return el(
    'div',
    { class: 'card', 'data-table': title.toLowerCase() },
    el('h3', {}, title),
    table(rows, [
      { label: key, value: (r) => (r[key] ? String(r[key]) : '(unattributed)') },
      { label: 'calls', value: (r) => fmt.calls(r.calls), num: true },
      { label: 'cost', value: (r) => `$${r.cost}`, num: true },
    ]),
  );
}
