import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';

export type Labels = Record<string, string>;

/** An alert instance's identity: a hash of its label set, sorted by name (Alertmanager's fingerprint role). */
export function fingerprint(labels: Labels): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(labels).sort()) hash.update(`${name}\u0000${labels[name]}\u0000`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * A label matcher as Alertmanager writes it: `name=value`, `name!=value`, `name=~regex`, `name!~regex`. Regexes are
 * anchored like Alertmanager's and run on RE2 (linear time): silences come in through the API.
 */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/**
 * Parses matchers in Alertmanager's grammar: one (`severity="page"`, `template=~"search.*"`) or a list
 * (`{a="x", b!~"y"}`, braces optional, a trailing comma allowed). Values are double-quoted with `\"`, `\\` and `\n`
 * escapes, or unquoted up to the next comma (the older form). An error names what is wrong and where.
 */
export function parseMatchers(text: string): Matcher[] | { error: string } {
  let s = text.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) return { error: `'${text}': a list opened with { must end with }` };
    s = s.slice(1, -1);
  }
  const out: Matcher[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= s.length) break;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i))?.[0];
    if (!name)
      return {
        error: `'${text}' is not a matcher: write name="value", name!="value", name=~"regex" or name!~"regex"`,
      };
    i += name.length;
    skipSpace();
    const op = (['=~', '!~', '!=', '='] as const).find((o) => s.startsWith(o, i));
    if (!op) return { error: `'${text}': after '${name}' comes one of =, !=, =~, !~` };
    i += op.length;
    skipSpace();
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const ch = s[i++]!;
        if (ch === '"') {
          closed = true;
          break;
        }
        if (ch !== '\\') {
          value += ch;
          continue;
        }
        const next = s[i++];
        if (next === 'n') value += '\n';
        else if (next === '"' || next === '\\') value += next;
        else return { error: `'${text}': unknown escape \\${next ?? ''} in the value of '${name}'` };
      }
      if (!closed) return { error: `'${text}': the value of '${name}' has no closing quote` };
    } else {
      const end = s.indexOf(',', i);
      value = s.slice(i, end === -1 ? s.length : end).trim();
      i = end === -1 ? s.length : end;
    }
    if (op === '=~' || op === '!~') {
      try {
        RE2JS.compile(value);
      } catch (error) {
        return { error: `'${text}': ${name}${op}: ${(error as Error).message}` };
      }
    }
    out.push({ name, op, value });
    skipSpace();
    if (i >= s.length) break;
    if (s[i] !== ',') return { error: `'${text}': expected a comma after the matcher on '${name}'` };
    i++;
  }
  if (out.length === 0) return { error: `'${text}' holds no matcher` };
  return out;
}

/** Parses one matcher (`severity=page`, `template=~"search.*"`); an error message names what is wrong. */
export function parseMatcher(text: string): Matcher | { error: string } {
  const parsed = parseMatchers(text);
  if ('error' in parsed) return parsed;
  if (parsed.length !== 1) return { error: `'${text}': one matcher expected, found ${parsed.length}` };
  return parsed[0]!;
}

/** Whether labels satisfy a matcher; a missing label is the empty string, as in Alertmanager. */
export function matches(labels: Labels, matcher: Matcher): boolean {
  const actual = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return RE2JS.matches(matcher.value, actual);
    case '!~':
      return !RE2JS.matches(matcher.value, actual);
  }
}

export function matchesAll(labels: Labels, matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => matches(labels, m));
}

/** A matcher as Alertmanager prints it: the value quoted, with `\\`, `\n` and `"` escaped (what parseMatchers reads). */
export function formatMatcher(m: Matcher): string {
  const escaped = m.value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `${m.name}${m.op}"${escaped}"`;
}
