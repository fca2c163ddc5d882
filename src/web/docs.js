// The API reference, rendered from /openapi.json by the API itself (no CDN, works offline).

const main = document.getElementById('main');
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
  return e;
};

fetch('/openapi.json')
  .then((r) => r.json())
  .then((doc) => {
    const byTag = new Map();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const tag = op.tags?.[0] ?? 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push({ path, method, op });
      }
    }
    main.replaceChildren(
      el('p', {}, `${doc.info.title} ${doc.info.version}. ${doc.info.description ?? ''}`),
      ...[...byTag].map(([tag, ops]) =>
        el(
          'section',
          { class: 'card' },
          el('h2', {}, tag),
          ...ops.map(({ path, method, op }) =>
            el(
              'details',
              { 'data-operation': `${method.toUpperCase()} ${path}` },
              el(
                'summary',
                {},
                el('span', { class: 'op' }, `${method.toUpperCase()} ${path}`),
                ` — ${op.summary ?? ''}`,
                op.security
                  ? ` [scope: ${op.security.flatMap((s) => Object.values(s).flat()).join(', ')}]`
                  : ' [public]',
              ),
              el(
                'table',
                {},
                el(
                  'tr',
                  {},
                  el('th', {}, 'parameter'),
                  el('th', {}, 'in'),
                  el('th', {}, 'required'),
                  el('th', {}, 'description'),
                ),
                ...(op.parameters ?? []).map((p) =>
                  el(
                    'tr',
                    {},
                    el('td', { class: 'op' }, p.name),
                    el('td', {}, p.in),
                    el('td', {}, p.required ? 'yes' : ''),
                    el('td', {}, p.description ?? p.schema?.description ?? ''),
                  ),
                ),
              ),
              el(
                'p',
                {},
                `Responses: ${Object.entries(op.responses ?? {})
                  .map(([s, r]) => `${s} ${r.description ?? ''}`)
                  .join('; ')}`,
              ),
            ),
          ),
        ),
      ),
    );
    main.dataset.ready = 'docs';
  })
  .catch((error) => {
    main.replaceChildren(el('p', { class: 'error' }, `cannot load /openapi.json: ${error.message}`));
  });
