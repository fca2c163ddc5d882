import type { AbComparison, Comparison, Rows, UsageRow } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api } from './session.ts';
import { controls, page, rangeQuery, state } from './state.ts';
import { table } from './widgets.ts';

/** Templates whose calls recorded a variant in the range (a split label served them), with those labels. */
async function splitTemplates(): Promise<Map<string, Set<string>>> {
  const { rows } = await api<Rows<UsageRow>>(
    `/api/v1/analytics/usage?${rangeQuery()}&group_by=template,label,variant&figures=calls`,
  );
  const found = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!r.variant || !r.template) continue;
    const labels = found.get(r.template) ?? new Set<string>();
    found.set(r.template, labels);
    if (r.label) labels.add(r.label);
  }
  return found;
}

/** A comparison with the control: the difference (formatted), its p-value, and a mark when significant. */
function compared<D>(c: Comparison<D> | undefined, format: (d: D) => string): Node | string {
  if (!c) return '–';
  return el(
    'span',
    { class: c.significant ? 'significant' : '', 'data-significant': String(c.significant) },
    `${format(c.difference)} (p=${c.p_value ?? '–'})${c.significant ? ' ✱' : ''}`,
  );
}

/** An A/B split: each variant against the control, with intervals and significance. */
export async function abView(): Promise<void> {
  const splits = await splitTemplates();
  if (splits.size === 0) {
    main.replaceChildren(
      controls(),
      el(
        'p',
        { class: 'empty' },
        'No template served a split in this range. Split a label between versions (PUT /api/v1/admin/templates/{name}/labels/{label} with "split") and the calls that record a variant appear here.',
      ),
    );
    return;
  }
  // Opens on a template that has a split, and on a label that split it.
  if (!splits.has(state.template)) state.template = [...splits.keys()][0]!;
  const labels = [...(splits.get(state.template) ?? [])];
  if (!labels.includes(state.label)) state.label = labels[0] ?? state.label;
  const template = el(
    'select',
    { id: 'template' },
    ...[...splits.keys()].map((n) => el('option', { value: n }, n)),
  );
  template.value = state.template;
  template.addEventListener('change', () => {
    state.template = template.value;
    page.rerender();
  });
  const label = el('select', { id: 'label' }, ...labels.map((l) => el('option', { value: l }, l)));
  label.value = state.label;
  label.addEventListener('change', () => {
    state.label = label.value;
    page.rerender();
  });
  const ab = await api<AbComparison>(
    `/api/v1/analytics/ab?${rangeQuery()}&template=${encodeURIComponent(state.template)}&label=${encodeURIComponent(state.label)}`,
  );
  const pp = (d: number) => `${d > 0 ? '+' : ''}${(d * 100).toFixed(2)} pp`;
  const signed = (d: number | string) => `${String(d).startsWith('-') ? '' : '+'}${d}`;
  main.replaceChildren(
    controls(el('label', {}, 'Template', template), el('label', {}, 'Split label', label)),
    el(
      'div',
      { class: 'card', 'data-table': 'ab' },
      el('h3', {}, `Variants against ${ab.control ?? '–'} (α = ${ab.alpha}; ✱ significant)`),
      ab.variants.length === 0
        ? el('p', {}, 'No calls recorded a variant of this split in this range.')
        : table(ab.variants, [
            { label: 'variant', value: (r) => r.variant },
            { label: 'calls', value: (r) => r.calls, num: true },
            {
              label: 'error rate [95% CI]',
              value: (r) =>
                `${fmt.rate(r.error_rate)} [${fmt.rate(r.error_rate_ci95[0])}, ${fmt.rate(r.error_rate_ci95[1])}]`,
              num: true,
            },
            {
              label: 'Δ error rate (z-test)',
              value: (r) => compared(r.vs_control?.error_rate, pp),
              num: true,
            },
            { label: 'p95 ms', value: (r) => r.p95_ms, num: true },
            { label: 'cost per call', value: (r) => `$${r.cost_per_call}`, num: true },
            {
              label: 'Δ cost per call (Welch)',
              value: (r) => compared(r.vs_control?.cost_per_call, (d) => `${signed(d)} $`),
              num: true,
            },
            { label: 'tokens per call', value: (r) => r.tokens_per_call, num: true },
            {
              label: 'Δ tokens per call (Welch)',
              value: (r) => compared(r.vs_control?.tokens_per_call, signed),
              num: true,
            },
          ]),
    ),
  );
}
