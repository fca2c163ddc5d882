/**
 * Our logic-less template syntax: `{{ name }}` inserts a variable (spaces inside the braces are allowed);
 * `\{{` writes a literal `{{`. Nothing else is interpreted, so a template can never execute code.
 */
export type Segment = { kind: 'text'; text: string } | { kind: 'var'; name: string };

export interface SyntaxProblem {
  position: number;
  message: string;
}

export type ParseResult = { ok: true; segments: Segment[] } | { ok: false; problems: SyntaxProblem[] };

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names every JavaScript object already has (`constructor`, `__proto__`, `toString`, …): refused, so no lookup
 * anywhere can pick one up from a prototype instead of the caller's values.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Why `name` cannot be a variable, or undefined when it can. */
export function variableNameProblem(name: string): string | undefined {
  if (!VARIABLE_NAME.test(name)) return 'names are letters, digits and _, not starting with a digit';
  if (RESERVED_NAMES.has(name)) return `'${name}' is reserved (every JavaScript object has it)`;
  return undefined;
}

/** Splits a template into text and variable segments, reporting every malformed placeholder. */
export function parseTemplate(text: string): ParseResult {
  const segments: Segment[] = [];
  const problems: SyntaxProblem[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
      continue;
    }
    if (text.startsWith('{{', i)) {
      const close = text.indexOf('}}', i + 2);
      if (close === -1) {
        problems.push({
          position: i,
          message: "'{{' is never closed with '}}' (write '\\{{' for a literal '{{')",
        });
        break;
      }
      const name = text.slice(i + 2, close).trim();
      const problem = variableNameProblem(name);
      if (problem) {
        problems.push({
          position: i,
          message: `'{{${text.slice(i + 2, close)}}}' is not a variable: ${problem}`,
        });
      } else {
        if (literal) segments.push({ kind: 'text', text: literal });
        literal = '';
        segments.push({ kind: 'var', name });
      }
      i = close + 2;
      continue;
    }
    literal += text[i];
    i++;
  }
  if (literal) segments.push({ kind: 'text', text: literal });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, segments };
}

/** Variable names in order of first use. */
export function variableNames(segments: Segment[]): string[] {
  const seen = new Set<string>();
  for (const s of segments) if (s.kind === 'var') seen.add(s.name);
  return [...seen];
}

/** Joins segments, taking each variable's text from `values` (which must hold every name). */
export function renderSegments(segments: Segment[], values: Record<string, string>): string {
  let out = '';
  for (const s of segments) {
    if (s.kind === 'text') out += s.text;
    else if (Object.hasOwn(values, s.name)) out += values[s.name];
    else throw new Error(`no value for variable '${s.name}'`);
  }
  return out;
}
