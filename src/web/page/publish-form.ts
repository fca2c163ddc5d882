import type { TemplateVersion } from './api-types.ts';
import { el } from './dom.ts';
import { send } from './session.ts';

interface FieldProblem {
  field: string;
  message: string;
}

/** A JSON field of the form, read; a text that is not JSON is a problem named by its field. */
function json(field: string, text: string, problems: FieldProblem[]): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    problems.push({ field, message: `not JSON: ${(error as Error).message}` });
    return undefined;
  }
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Publishing a version (and, with a name field, a new template): text, variables, model config, guardrails, commit
 * message, optional version and labels. The API's own validation answers are shown: its message, and each field's
 * problem beside the field. `base` pre-fills from the version it starts from; `done` runs after a 201.
 */
export function publishForm(o: {
  template?: string;
  base?: TemplateVersion;
  done: (published: TemplateVersion) => void;
}): HTMLFormElement {
  const input = (name: string, placeholder: string, value = '') =>
    el('input', { name, placeholder, value, autocomplete: 'off' });
  const area = (name: string, placeholder: string, value = '', rows = '3') =>
    el('textarea', { name, placeholder, rows }, value);
  const pretty = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
  const base = o.base;
  const fields = {
    name: input('name', 'template name (lowercase, e.g. support-reply)', o.template ?? ''),
    version: input('version', 'version, e.g. 1.2.0 (empty: numbered)'),
    template_text: area('template_text', 'Answer {{question}} briefly.', base?.template_text ?? '', '6'),
    variables: input(
      'variables',
      'variables: question, tone (or the typed JSON form)',
      base ? variablesText(base) : '',
    ),
    model_config: area(
      'model_config',
      '{"provider": "gcp.gemini", "model_name": "gemini-2.5-flash", "temperature": 0.2}',
      base && Object.keys(base.model_config).length ? pretty(base.model_config) : '',
    ),
    guardrails: area(
      'guardrails',
      '[{"name": "short", "type": "max_length", …}]',
      base?.guardrails.length ? pretty(base.guardrails) : '',
    ),
    commit_message: input('commit_message', 'what changed and why'),
    labels: input('labels', 'labels to point at it: staging (optional)'),
  };
  const problemOf = Object.fromEntries(
    Object.keys(fields).map((f) => [f, el('span', { class: 'error', 'data-problem-for': f })]),
  ) as Record<keyof typeof fields, HTMLElement>;
  const summary = el('p', { class: 'error', role: 'alert', 'data-problem': 'summary' });
  summary.hidden = true;
  const row = (label: string, key: keyof typeof fields) =>
    el('label', { class: 'field' }, label, fields[key], problemOf[key]);
  if (o.template) fields.name.readOnly = true;
  const form = el(
    'form',
    { class: 'publish', id: 'publish' },
    ...(o.template ? [] : [row('Name', 'name')]),
    row('Version', 'version'),
    row('Template text', 'template_text'),
    row('Variables', 'variables'),
    row('Model config (JSON)', 'model_config'),
    row('Guardrails (JSON)', 'guardrails'),
    row('Commit message', 'commit_message'),
    row('Labels', 'labels'),
    summary,
    el('button', { type: 'submit' }, o.template ? 'Publish version' : 'Create template'),
  );
  const show = (message: string, problems: FieldProblem[]) => {
    summary.hidden = !message;
    summary.textContent = message;
    for (const p of Object.values(problemOf)) p.textContent = '';
    for (const p of problems) {
      const key = (p.field.split(/[.[]/)[0] ?? '') as keyof typeof fields;
      const slot = problemOf[key] ?? problemOf[p.field === 'messages' ? 'template_text' : 'name'];
      slot.textContent = [slot.textContent, `${p.field}: ${p.message}`].filter(Boolean).join('; ');
    }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problems: FieldProblem[] = [];
    const variablesText = fields.variables.value.trim();
    const body: Record<string, unknown> = {
      name: fields.name.value.trim(),
      template_text: fields.template_text.value,
      variables: variablesText.startsWith('[')
        ? json('variables', variablesText, problems)
        : list(variablesText),
      commit_message: fields.commit_message.value.trim(),
      labels: list(fields.labels.value),
    };
    if (fields.version.value.trim()) body.version = fields.version.value.trim();
    const model = json('model_config', fields.model_config.value, problems);
    if (model !== undefined) body.model_config = model;
    const guardrails = json('guardrails', fields.guardrails.value, problems);
    if (guardrails !== undefined) body.guardrails = guardrails;
    if (problems.length) return show('Fix the fields marked below.', problems);
    const res = await send<TemplateVersion>('POST', '/api/v1/admin/prompts', body);
    if (res.ok) return o.done(res.body);
    const details = (res.body.error as { details?: { fields?: FieldProblem[] } } | undefined)?.details;
    show(res.body.error?.message ?? `${res.status}`, details?.fields ?? []);
  });
  return form;
}

/** A version's variables as the form writes them: names, or the typed JSON form when any is more than a name. */
function variablesText(v: TemplateVersion): string {
  const plain = v.variable_definitions.every(
    (d) => d.type === 'string' && d.required === true && d.default === undefined && !d.description,
  );
  return plain ? v.variables.join(', ') : JSON.stringify(v.variable_definitions);
}
