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

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Parses `severity=page` (quotes around the value optional); an error message names what is wrong. */
export function parseMatcher(text: string): Matcher | { error: string } {
  const m = MATCHER.exec(text);
  if (!m)
    return { error: `'${text}' is not a matcher: write name=value, name!=value, name=~regex or name!~regex` };
  let value = m[3]!;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  const op = m[2] as Matcher['op'];
  if (op === '=~' || op === '!~') {
    try {
      RE2JS.compile(value);
    } catch (error) {
      return { error: `'${text}': ${(error as Error).message}` };
    }
  }
  return { name: m[1]!, op, value };
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

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}
