import type { Execution, Rows, UsageRow } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api } from './session.ts';
import { controls, page, rangeQuery, state } from './state.ts';
import { table } from './widgets.ts';

/** The sessions that cost most in the range; one picked, its calls in the order they happened. */
export async function sessionsView(): Promise<void> {
  const top = await api<Rows<UsageRow>>(
    `/api/v1/analytics/usage?${rangeQuery()}&group_by=session,user,tenant&figures=calls,cost&order_by=cost&limit=20`,
  );
  const sessions = top.rows.filter((r) => r.session);
  if (!sessions.some((r) => r.session === state.session)) state.session = sessions[0]?.session ?? '';
  const pick = (id: string) =>
    el(
      'button',
      {
        type: 'button',
        class: id === state.session ? 'link active' : 'link',
        'data-session': id,
        onclick: () => {
          state.session = id;
          page.rerender();
        },
      },
      id,
    );
  const calls = state.session
    ? await api<{ executions: Execution[] }>(
        `/api/v1/executions?session=${encodeURIComponent(state.session)}&order=asc&limit=200`,
      )
    : { executions: [] };
  main.replaceChildren(
    controls(),
    el(
      'div',
      { class: 'charts' },
      el(
        'div',
        { class: 'card', 'data-table': 'top sessions' },
        el('h3', {}, 'Sessions that cost most'),
        sessions.length === 0
          ? el(
              'p',
              { class: 'empty' },
              'No call named a session in this range (the sdk\u2019s withAttribution sets one).',
            )
          : table(sessions, [
              { label: 'session', value: (r) => pick(String(r.session)) },
              { label: 'user', value: (r) => r.user || '–' },
              { label: 'tenant', value: (r) => r.tenant || '–' },
              { label: 'calls', value: (r) => fmt.calls(r.calls), num: true },
              { label: 'cost', value: (r) => `$${r.cost}`, num: true },
            ]),
      ),
      ...(state.session
        ? [
            el(
              'div',
              { class: 'card', 'data-table': 'session calls', 'data-session': state.session },
              el('h3', {}, `Session ${state.session}`),
              table(calls.executions, [
                { label: 'at', value: (c) => fmt.time(c.timestamp) },
                {
                  label: 'template',
                  value: (c) => (c.template_name ? `${c.template_name}@${c.template_version}` : '–'),
                },
                { label: 'model', value: (c) => c.request_model },
                { label: 'tokens', value: (c) => `${c.input_tokens} → ${c.output_tokens}`, num: true },
                { label: 'cost', value: (c) => (c.cost === null ? 'unpriced' : `$${c.cost}`), num: true },
                { label: 'latency', value: (c) => fmt.ms(c.duration_ms), num: true },
                { label: 'error', value: (c) => (c.success ? '' : c.error_type || 'error') },
              ]),
            ),
          ]
        : []),
    ),
  );
}
