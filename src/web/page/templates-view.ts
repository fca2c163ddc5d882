import type { LabelMove, TemplateVersion } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api } from './session.ts';
import { table } from './widgets.ts';

/** Every template: its versions with labels (splits with their weights) and the history of label moves. */
export async function templatesView(): Promise<void> {
  let list: { templates: { name: string }[] };
  try {
    list = await api('/api/v1/admin/prompts?limit=200');
  } catch (error) {
    main.replaceChildren(
      el('p', { class: 'error' }, `Templates need an admin key: ${(error as Error).message}`),
    );
    return;
  }
  const names = [...new Set(list.templates.map((t) => t.name))];
  const cards = await Promise.all(
    names.map(async (name) => {
      const [versions, history] = await Promise.all([
        api<{ versions: TemplateVersion[] }>(`/api/v1/admin/templates/${encodeURIComponent(name)}/versions`),
        api<{ moves: LabelMove[] }>(`/api/v1/admin/templates/${encodeURIComponent(name)}/labels/history`),
      ]);
      return el(
        'div',
        { class: 'card', 'data-template': name },
        el('h3', {}, name),
        table(versions.versions, [
          { label: 'version', value: (r) => r.version },
          {
            label: 'labels',
            value: (r) =>
              [
                ...r.labels.filter((l) => !r.split_labels.some((s) => s.label === l)),
                ...r.split_labels.map((s) => `${s.label} (split, weight ${s.weight})`),
              ].join(', '),
          },
          { label: 'created', value: (r) => fmt.time(r.created_at) },
          { label: 'calls 24h', value: (r) => r.stats?.last_24h.calls ?? '–', num: true },
          { label: 'p95 24h', value: (r) => r.stats?.last_24h.p95_ms ?? '–', num: true },
        ]),
        el('h3', {}, 'Label history'),
        table(history.moves, [
          { label: 'label', value: (r) => r.label },
          { label: 'change', value: (r) => r.change },
          { label: 'reason', value: (r) => r.reason },
          { label: 'at', value: (r) => fmt.time(r.moved_at) },
        ]),
      );
    }),
  );
  main.replaceChildren(el('div', { class: 'charts' }, ...cards));
}
