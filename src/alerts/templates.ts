import type { Labels } from './labels.ts';

/**
 * Label and annotation templates, Prometheus's subset: `{{ $labels.<name> }}`, `{{ $value }}`, optionally piped
 * through one formatter: `| percent` (0.0712 → 7.12%), `| fixed N` (N decimals), `| humanize` (3 significant digits).
 * Logic-less: nothing in a rule file can run code.
 */

const EXPRESSION = /\{\{\s*([^}]*?)\s*\}\}/g;
const REFERENCE = /^\$(?:value|labels\.([A-Za-z_][A-Za-z0-9_]*))$/;
const FORMATTER = /^(percent|humanize|fixed\s+(\d{1,2}))$/;

/** Why a template cannot expand, or undefined when it can. */
export function checkTemplate(template: string): string | undefined {
  for (const [, expression] of template.matchAll(EXPRESSION)) {
    const problem = checkExpression(expression!);
    if (problem) return problem;
  }
  const rest = template.replace(EXPRESSION, '');
  if (rest.includes('{{') || rest.includes('}}')) return 'an unclosed {{ or a stray }}';
  return undefined;
}

function checkExpression(expression: string): string | undefined {
  const [reference, ...pipes] = expression.split('|').map((s) => s.trim());
  if (!REFERENCE.test(reference!)) return `{{ ${expression} }}: write $value or $labels.<name>`;
  if (pipes.length > 1) return `{{ ${expression} }}: one formatter at most`;
  if (pipes.length === 1 && !FORMATTER.test(pipes[0]!))
    return `{{ ${expression} }}: unknown formatter '${pipes[0]}' (percent, fixed N, humanize)`;
  return undefined;
}

/** Expands a template for one instance; a broken template expands to Prometheus's error text, never throws. */
export function expandTemplate(template: string, labels: Labels, value: string | number | undefined): string {
  return template.replace(EXPRESSION, (_, expression: string) => {
    const problem = checkExpression(expression);
    if (problem) return `<error expanding template: ${problem}>`;
    const [reference, pipe] = expression.split('|').map((s) => s.trim());
    const m = REFERENCE.exec(reference!)!;
    const raw = m[1] ? (labels[m[1]] ?? '') : value === undefined ? '' : String(value);
    return pipe ? format(raw, pipe) : raw;
  });
}

function format(raw: string, pipe: string): string {
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n)) return raw;
  if (pipe === 'percent') return `${trim((n * 100).toFixed(2))}%`;
  if (pipe === 'humanize')
    return trim(n.toPrecision(3).includes('e') ? String(Number(n.toPrecision(3))) : n.toPrecision(3));
  const digits = Number(FORMATTER.exec(pipe)![2]);
  return n.toFixed(digits);
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

export function expandAll(templates: Labels, labels: Labels, value: string | number | undefined): Labels {
  const out: Labels = {};
  for (const [k, t] of Object.entries(templates)) out[k] = expandTemplate(t, labels, value);
  return out;
}
