import type { LabelMove, TemplateSummary, TemplateVersion, VersionDiff } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { publishForm } from './publish-form.ts';
import { api, scopesOfKey, send } from './session.ts';
import { page } from './state.ts';
import { table } from './widgets.ts';

/** What the last change answered (a refusal's message), shown until the next. */
let notice: { template: string; text: string; error: boolean } | undefined;

const path = (name: string) => `/api/v1/admin/templates/${encodeURIComponent(name)}`;

/** Where a label points, as a person reads it: a version, or a split with its shares. */
function target(t: TemplateSummary, label: string): string {
  const split = t.splits[label];
  if (!split) return t.labels[label] ?? '(none)';
  const total = split.reduce((n, s) => n + s.weight, 0);
  return split.map((s) => `${s.version} ${Math.round((s.weight / total) * 1000) / 10}%`).join(' / ');
}

/** Protecting a label (admin keys): it holds for every template, so the confirmation says so. */
async function toggleProtection(template: string, label: string, protect: boolean): Promise<void> {
  const question = protect
    ? `Protect ${label} on every template? Only prompts:promote and admin keys will move it.`
    : `Stop protecting ${label} on every template? prompts:write keys will move it again.`;
  if (!confirm(question)) return;
  const res = await send(
    protect ? 'PUT' : 'DELETE',
    `/api/v1/admin/protected-labels/${encodeURIComponent(label)}`,
  );
  notice = {
    template,
    error: !res.ok,
    text: res.ok
      ? `${label} is ${protect ? 'now' : 'no longer'} protected.`
      : (res.body.error?.message ?? `${res.status}`),
  };
  page.rerender();
}

function labelsCard(t: TemplateSummary, protectedLabels: Set<string>, admin: boolean): HTMLElement {
  const labels = Object.keys(t.labels).sort();
  return el(
    'div',
    { class: 'card', 'data-table': 'labels' },
    el('h3', {}, 'Labels'),
    table(labels, [
      { label: 'label', value: (l) => (protectedLabels.has(l) ? `${l} (protected)` : l) },
      { label: 'serves', value: (l) => el('span', { 'data-label': l }, target(t, l)) },
      {
        label: '',
        value: (l) =>
          admin && l !== 'latest'
            ? el(
                'button',
                {
                  type: 'button',
                  'data-protect': l,
                  onclick: () => void toggleProtection(t.name, l, !protectedLabels.has(l)),
                },
                protectedLabels.has(l) ? 'unprotect' : 'protect',
              )
            : '',
      },
    ]),
  );
}

/** Move a label (promote, roll back), confirmed by a sentence naming what will serve. */
function moveForm(t: TemplateSummary, versions: TemplateVersion[]): HTMLElement {
  const label = el('input', { name: 'label', value: 'production', list: 'label-names', autocomplete: 'off' });
  const names = el(
    'datalist',
    { id: 'label-names' },
    ...Object.keys(t.labels)
      .filter((l) => l !== 'latest')
      .map((l) => el('option', { value: l })),
  );
  const version = el(
    'select',
    { name: 'version' },
    ...versions.map((v) => el('option', { value: v.version }, v.version)),
  );
  const reason = el('input', { name: 'reason', placeholder: 'why (kept in the history)' });
  const form = el(
    'form',
    { class: 'controls', id: 'move-label' },
    el('label', {}, 'Label', label, names),
    el('label', {}, 'to version', version),
    el('label', {}, 'Reason', reason),
    el('button', { type: 'submit' }, 'Move label'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const l = label.value.trim();
    const now = t.labels[l] ? ` (it serves ${target(t, l)} now)` : ' (a new label)';
    if (!confirm(`${l} of ${t.name} will serve ${version.value}${now}. Move it?`)) return;
    const res = await send('PUT', `${path(t.name)}/labels/${encodeURIComponent(l)}`, {
      version: version.value,
      reason: reason.value.trim(),
    });
    notice = {
      template: t.name,
      error: !res.ok,
      text: res.ok ? `${l} now serves ${version.value}.` : (res.body.error?.message ?? `${res.status}`),
    };
    page.rerender();
  });
  return el('div', { class: 'card' }, el('h3', {}, 'Promote or roll back'), form);
}

/** Starting a rollout of a version on production (admin keys): confirmed, then watched in the Rollouts view. */
async function rollOut(t: TemplateSummary, v: TemplateVersion): Promise<void> {
  if (!confirm(`Roll ${v.version} out on production of ${t.name}, stepped up while its guards hold?`)) return;
  const res = await send('POST', '/api/v1/admin/rollouts', { template: t.name, candidate: v.version });
  if (res.ok) {
    location.hash = '#rollouts';
    return;
  }
  notice = { template: t.name, error: true, text: res.body.error?.message ?? `${res.status}` };
  page.rerender();
}

function versionsCard(t: TemplateSummary, versions: TemplateVersion[], admin: boolean): HTMLElement {
  return el(
    'div',
    { class: 'card wide', 'data-table': 'versions' },
    el('h3', {}, 'Versions'),
    table(versions, [
      { label: 'version', value: (v) => v.version },
      {
        label: 'labels',
        value: (v) =>
          v.labels
            .map((l) => {
              const w = v.split_labels.find((s) => s.label === l);
              return w ? `${l} (split, weight ${w.weight})` : l;
            })
            .join(', '),
      },
      { label: 'commit message', value: (v) => v.commit_message },
      { label: 'published by', value: (v) => v.created_by },
      { label: 'at', value: (v) => fmt.time(v.created_at) },
      { label: 'calls 24h', value: (v) => v.stats?.last_24h.calls ?? '–', num: true },
      { label: 'p95 24h', value: (v) => fmt.ms(v.stats?.last_24h.p95_ms), num: true },
      {
        label: '',
        value: (v) =>
          admin && !v.labels.includes('production') && t.labels.production
            ? el(
                'button',
                { type: 'button', 'data-rollout-version': v.version, onclick: () => void rollOut(t, v) },
                'roll out',
              )
            : '',
      },
    ]),
  );
}

/** Two versions side by side: the text's unified diff, and every other field that differs. */
function diffCard(t: TemplateSummary, versions: TemplateVersion[]): HTMLElement {
  const pick = (name: string, chosen: string | undefined) => {
    const s = el('select', { name }, ...versions.map((v) => el('option', { value: v.version }, v.version)));
    if (chosen) s.value = chosen;
    return s;
  };
  const from = pick('from', versions[1]?.version ?? versions[0]?.version);
  const to = pick('to', versions[0]?.version);
  const out = el('div', { 'data-diff': '' });
  const show = async () => {
    const d = await api<VersionDiff>(
      `${path(t.name)}/diff?from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}`,
    );
    const lines = d.text.unified.split('\n').filter((l) => l !== '');
    out.replaceChildren(
      d.identical
        ? el('p', { class: 'empty' }, 'The two versions are identical.')
        : el(
            'pre',
            { class: 'diff' },
            ...lines.map((l) =>
              el('span', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '' }, `${l}\n`),
            ),
          ),
      ...Object.entries(d.fields).map(([field, change]) =>
        el(
          'p',
          { 'data-field': field },
          el('strong', {}, field),
          `: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`,
        ),
      ),
    );
  };
  from.addEventListener('change', () => void show());
  to.addEventListener('change', () => void show());
  if (versions.length > 1) void show();
  return el(
    'div',
    { class: 'card', id: 'diff' },
    el('h3', {}, 'Diff'),
    el('div', { class: 'controls' }, el('label', {}, 'from', from), el('label', {}, 'to', to)),
    out,
  );
}

function historyCard(moves: LabelMove[]): HTMLElement {
  return el(
    'div',
    { class: 'card wide', 'data-table': 'history' },
    el('h3', {}, 'Who changed what'),
    moves.length === 0
      ? el('p', { class: 'empty' }, 'No label moves yet.')
      : table(moves, [
          { label: 'label', value: (m) => m.label },
          { label: 'change', value: (m) => m.change },
          { label: 'by', value: (m) => m.moved_by },
          { label: 'reason', value: (m) => m.reason },
          { label: 'at', value: (m) => fmt.time(m.moved_at) },
        ]),
  );
}

/**
 * Template admin, one template: its labels and what they serve, its versions (who published each, with their figures),
 * a diff of any two, and who moved which label when. A key that may write also promotes or rolls back a label (with a
 * confirmation naming what will serve) and publishes a version (the API's validation messages beside the fields); an
 * admin key starts a rollout of a version.
 */
export async function templateAdminView(name: string): Promise<void> {
  const [t, { versions }, { moves }, { labels: protectedList }, may] = await Promise.all([
    api<TemplateSummary>(path(name)),
    api<{ versions: TemplateVersion[] }>(`${path(name)}/versions`),
    api<{ moves: LabelMove[] }>(`${path(name)}/labels/history`),
    api<{ labels: { label: string }[] }>('/api/v1/admin/protected-labels'),
    scopesOfKey(),
  ]);
  const protectedLabels = new Set(protectedList.map((p) => p.label));
  const shown = notice?.template === name ? notice : undefined;
  notice = undefined;
  main.replaceChildren(
    el(
      'div',
      { class: 'controls' },
      el('a', { href: '#templates' }, '← all templates'),
      el('h2', { 'data-template-name': t.name }, t.name),
      t.archived ? el('span', { class: 'error' }, 'archived') : '',
      t.description ? el('span', { class: 'note' }, t.description) : '',
    ),
    ...(shown
      ? [el('p', { class: shown.error ? 'error' : 'note', role: 'alert', 'data-notice': '' }, shown.text)]
      : []),
    el(
      'div',
      { class: 'charts' },
      labelsCard(t, protectedLabels, may.admin),
      ...(may.write && !t.archived ? [moveForm(t, versions)] : []),
      versionsCard(t, versions, may.admin),
      diffCard(t, versions),
      ...(may.write && !t.archived
        ? [
            el(
              'div',
              { class: 'card', 'data-card': 'publish' },
              el('h3', {}, 'Publish a new version'),
              publishForm({
                template: t.name,
                base: versions[0],
                done: (v) => {
                  notice = { template: t.name, error: false, text: `Published ${v.version}.` };
                  page.rerender();
                },
              }),
            ),
          ]
        : []),
      historyCard(moves),
    ),
  );
}
