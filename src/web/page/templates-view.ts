import type { TemplateListEntry } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { publishForm } from './publish-form.ts';
import { api, scopesOfKey } from './session.ts';
import { table } from './widgets.ts';

let search = '';

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .filter(([l]) => l !== 'latest')
    .map(([l, v]) => `${l} → ${v}`)
    .join(', ');

/** The templates table for a search, each name opening its template. */
async function templatesCard(): Promise<HTMLElement> {
  const q = search ? `&search=${encodeURIComponent(search)}` : '';
  const { templates, total } = await api<{ templates: TemplateListEntry[]; total: number }>(
    `/api/v1/admin/templates?limit=200${q}`,
  );
  return el(
    'div',
    { class: 'card', 'data-table': 'templates' },
    el('h3', {}, `Templates (${total})`),
    templates.length === 0
      ? el('p', { class: 'empty' }, search ? `No template matches “${search}”.` : 'No templates yet.')
      : table(templates, [
          {
            label: 'name',
            value: (t) =>
              el('a', { href: `#templates/${encodeURIComponent(t.name)}`, 'data-open': t.name }, t.name),
          },
          { label: 'labels', value: (t) => labelText(t.labels) },
          { label: 'versions', value: (t) => t.version_count, num: true },
          { label: 'latest', value: (t) => t.latest_version },
          { label: 'tags', value: (t) => t.tags.join(', ') },
          { label: 'changed', value: (t) => fmt.time(t.updated_at) },
        ]),
  );
}

/**
 * Template admin, the list: search by name, description or tag; open a template; with a key that may write, create
 * one by publishing its first version. A key that reads templates sees them all.
 */
export async function templatesView(): Promise<void> {
  const [card, may] = await Promise.all([templatesCard(), scopesOfKey()]);
  const box = el('input', {
    type: 'search',
    id: 'template-search',
    placeholder: 'search name, description, tag',
    value: search,
  });
  let current = card;
  let typing: ReturnType<typeof setTimeout> | undefined;
  box.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      search = box.value.trim();
      const next = await templatesCard();
      current.replaceWith(next);
      current = next;
    }, 250);
  });
  const create = may.write
    ? el(
        'details',
        { class: 'card', id: 'new-template' },
        el('summary', {}, 'New template'),
        publishForm({
          done: (v) => {
            location.hash = `#templates/${encodeURIComponent(v.name)}`;
          },
        }),
      )
    : null;
  main.replaceChildren(el('div', { class: 'controls' }, el('label', {}, 'Search', box)), card, create ?? '');
}
