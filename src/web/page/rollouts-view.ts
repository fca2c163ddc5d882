import type { RolloutRow } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api, canAdminister, send } from './session.ts';
import { page } from './state.ts';
import { table } from './widgets.ts';

const ACTIVE = new Set(['running', 'paused']);
let problem = '';
let refresh: ReturnType<typeof setTimeout> | undefined;

/** Where a rollout stands, as a person reads it. */
function standing(r: RolloutRow): string {
  const state = r.state.replace('_', ' ');
  return ACTIVE.has(r.state)
    ? `${state}, step ${r.step} of ${r.steps.length} (${r.candidate_weight}% on ${r.candidate})`
    : state;
}

function verdictText(r: RolloutRow): string {
  return (r.verdict ?? [])
    .map(
      (g) => `${g.figure}: ${g.outcome.replaceAll('_', ' ')} (${g.candidate ?? '–'} vs ${g.control ?? '–'})`,
    )
    .join('; ');
}

/** A change, with a confirmation naming what will serve; the API's message when it is refused. */
async function act(r: RolloutRow, action: 'pause' | 'resume' | 'abort'): Promise<void> {
  const what = {
    pause: `Pause rollout ${r.id}? ${r.label} keeps serving ${r.control} ${100 - r.candidate_weight}% / ${r.candidate} ${r.candidate_weight}%.`,
    resume: `Resume rollout ${r.id}? ${r.label} serves ${r.candidate_weight}% on ${r.candidate} again.`,
    abort: `Abort rollout ${r.id}? ${r.label} of ${r.template} goes back to ${r.control} at once.`,
  }[action];
  if (!confirm(what)) return;
  const res = await send('POST', `/api/v1/admin/rollouts/${r.id}/${action}`, { reason: '' });
  problem = res.ok ? '' : (res.body.error?.message ?? `${res.status}`);
  page.rerender();
}

function startForm(): HTMLElement {
  const template = el('input', { name: 'template', required: 'required', placeholder: 'template' });
  const candidate = el('input', {
    name: 'candidate',
    required: 'required',
    placeholder: 'candidate version',
  });
  const label = el('input', { name: 'label', value: 'production', placeholder: 'label' });
  const form = el(
    'form',
    { class: 'controls', id: 'start-rollout' },
    template,
    candidate,
    label,
    el('button', { type: 'submit' }, 'Start rollout'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const res = await send('POST', '/api/v1/admin/rollouts', {
      template: template.value.trim(),
      candidate: candidate.value.trim(),
      label: label.value.trim() || 'production',
    });
    problem = res.ok ? '' : (res.body.error?.message ?? `${res.status}`);
    page.rerender();
  });
  return form;
}

function rolloutsCard(rollouts: RolloutRow[], admin: boolean): HTMLElement {
  const button = (r: RolloutRow, action: 'pause' | 'resume' | 'abort') =>
    el(
      'button',
      { type: 'button', 'data-action': action, 'data-rollout': r.id, onclick: () => void act(r, action) },
      action,
    );
  return el(
    'div',
    { class: 'card', 'data-table': 'rollouts' },
    el('h3', {}, 'Rollouts'),
    rollouts.length === 0
      ? el('p', { class: 'empty' }, 'No rollouts yet.')
      : table(rollouts, [
          { label: 'id', value: (r) => r.id },
          { label: 'template', value: (r) => `${r.template} (${r.label})` },
          { label: 'versions', value: (r) => `${r.control} → ${r.candidate}` },
          {
            label: 'state',
            value: (r) => el('span', { 'data-state': r.state, 'data-rollout': r.id }, standing(r)),
          },
          {
            label: 'guards',
            // While it runs, what the guards last said; once it ended, why (the breach, or who stopped it).
            value: (r) => (ACTIVE.has(r.state) ? verdictText(r) || r.reason : r.reason || verdictText(r)),
          },
          { label: 'updated', value: (r) => fmt.time(r.updated_at) },
          {
            label: '',
            value: (r) =>
              admin && ACTIVE.has(r.state)
                ? el(
                    'span',
                    {},
                    ...(r.state === 'running' ? [button(r, 'pause')] : [button(r, 'resume')]),
                    button(r, 'abort'),
                  )
                : '',
          },
        ]),
  );
}

const list = () => api<{ rollouts: RolloutRow[] }>('/api/v1/rollouts?limit=50');

/** While one runs, the table (only: a half-typed form keeps its text) is read again every few seconds. */
function watch(card: HTMLElement, rollouts: RolloutRow[], admin: boolean): void {
  if (!rollouts.some((r) => r.state === 'running')) return;
  refresh = setTimeout(async () => {
    if (!card.isConnected) return;
    const fresh = (await list()).rollouts;
    const next = rolloutsCard(fresh, admin);
    card.replaceWith(next);
    watch(next, fresh, admin);
  }, 3000);
}

/**
 * Guarded rollouts: each with its state, step and the guards' last verdict, watched while one is running. An admin
 * key may start one and pause, resume or abort it (each confirmed, naming what will serve); a key that reads
 * templates sees them.
 */
export async function rolloutsView(): Promise<void> {
  clearTimeout(refresh);
  const [{ rollouts }, admin] = await Promise.all([list(), canAdminister()]);
  const card = rolloutsCard(rollouts, admin);
  main.replaceChildren(
    ...(admin ? [startForm()] : []),
    ...(problem ? [el('p', { class: 'error', role: 'alert' }, problem)] : []),
    card,
  );
  watch(card, rollouts, admin);
}
