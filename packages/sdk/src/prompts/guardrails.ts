import { RE2JS } from 're2js';
import { Lru } from '../lru.ts';

export const GUARDRAIL_ACTIONS = ['block', 'redact', 'flag'] as const;
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];
export const PII_KINDS = ['email', 'phone', 'card_number'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/**
 * Patterns from admins run on user text inside services, so they run on RE2 (re2js): matching takes time linear in
 * the text whatever the pattern, and `(a+)+$` is as harmless as any other. RE2 has no lookaround or
 * backreferences; such a pattern is refused at publish time with RE2's reason (this one).
 */
export function re2Problem(source: string): string | undefined {
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (error) {
    return `not a valid RE2 regular expression (no lookaround or backreferences): ${(error as Error).message}`;
  }
}

/** Compiled admin patterns, bounded: the same few rules run on every call. */
const compiled = new Lru<string, RE2JS>(500);

function compilePattern(source: string, caseInsensitive: boolean): RE2JS {
  const key = `${caseInsensitive ? 'i' : '-'}${source}`;
  let re = compiled.get(key);
  if (!re) {
    re = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
    compiled.set(key, re);
  }
  return re;
}

/**
 * A guardrail reads at most this many characters of a text (about 256 KB of prose); past it, the rest is not
 * scanned and a `scan_limit` verdict says so, with the rule's action when it blocks (an unread text is not
 * passed as clean).
 */
export const GUARDRAIL_SCAN_LIMIT = 262_144;

interface GuardrailCommon {
  name: string;
  action: GuardrailAction;
  /** Whether the rule checks the rendered prompt, the model's output, or both. */
  applies_to: 'input' | 'output' | 'both';
}

/** A guardrail rule as a template version stores it (the API validates it with its schema). */
export type GuardrailRule =
  | (GuardrailCommon & { type: 'max_length'; action: 'block' | 'flag'; max_chars: number })
  | (GuardrailCommon & { type: 'blocked_pattern'; patterns: string[]; case_insensitive: boolean })
  | (GuardrailCommon & { type: 'pii'; kinds: PiiKind[] });

export interface GuardrailVerdict {
  rule: string;
  type: GuardrailRule['type'];
  action: GuardrailAction;
  /** What was found, never the matched text itself. */
  detail: string;
  matches: number;
}

export interface GuardrailOutcome {
  text: string;
  blocked: boolean;
  verdicts: GuardrailVerdict[];
}

/** Most specific first: a card number also looks like a phone number. */
const PII_ORDER: readonly PiiKind[] = ['card_number', 'email', 'phone'];

// Every quantifier is bounded, so V8's backtracking engine stays linear on these (they need lookbehind, which
// RE2 lacks). An email's local part is at most 64 characters and a domain 255 (RFC 5321).
const PII_PATTERNS: Record<PiiKind, RegExp> = {
  email: /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,255}\.[A-Za-z]{2,63}/g,
  phone: /(?<![\w+])\+?\d{1,3}?[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}(?!\w)/g,
  card_number: /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g,
};

/** Runs the rules that apply at `stage` over a text; redactions apply in rule order. */
export function evaluateGuardrails(
  rules: GuardrailRule[],
  text: string,
  stage: 'input' | 'output',
): GuardrailOutcome {
  let current = text;
  const verdicts: GuardrailVerdict[] = [];
  for (const rule of rules) {
    if (rule.applies_to !== 'both' && rule.applies_to !== stage) continue;
    if (rule.type === 'max_length') {
      if (current.length > rule.max_chars) {
        verdicts.push({
          rule: rule.name,
          type: rule.type,
          action: rule.action,
          detail: `length ${current.length} exceeds ${rule.max_chars} characters`,
          matches: 1,
        });
      }
      continue;
    }
    const limit = Math.min(current.length, GUARDRAIL_SCAN_LIMIT);
    const scanned = current.slice(0, limit);
    const rest = current.slice(limit);
    const redact = (label: string) => `[REDACTED:${label.toUpperCase().replace(' ', '_')}]`;
    let result = scanned;
    if (rule.type === 'pii') {
      for (const kind of PII_ORDER.filter((k) => rule.kinds.includes(k))) {
        const check = kind === 'card_number' ? luhnValid : undefined;
        let matches = 0;
        result = result.replace(PII_PATTERNS[kind], (m) => {
          if (check && !check(m)) return m;
          matches++;
          return rule.action === 'redact' ? redact(kind) : m;
        });
        if (matches > 0)
          verdicts.push({ rule: rule.name, type: rule.type, action: rule.action, detail: kind, matches });
      }
    } else {
      rule.patterns.forEach((source, i) => {
        const label = `pattern ${i}`;
        const { text: next, matches } = replaceAll(
          compilePattern(source, rule.case_insensitive),
          result,
          () => (rule.action === 'redact' ? redact(label) : undefined),
        );
        result = next;
        if (matches > 0)
          verdicts.push({ rule: rule.name, type: rule.type, action: rule.action, detail: label, matches });
      });
    }
    current = result + rest;
    if (rest.length > 0) {
      verdicts.push({
        rule: rule.name,
        type: rule.type,
        action: rule.action === 'block' ? 'block' : 'flag',
        detail: `scan_limit: only the first ${GUARDRAIL_SCAN_LIMIT} of ${current.length} characters were checked`,
        matches: 0,
      });
    }
  }
  return { text: current, blocked: verdicts.some((v) => v.action === 'block'), verdicts };
}

/** Every non-empty match of `re` in `text`, each replaced by what `replacement` returns (kept when undefined). */
function replaceAll(
  re: RE2JS,
  text: string,
  replacement: () => string | undefined,
): { text: string; matches: number } {
  const m = re.matcher(text);
  let out = '';
  let last = 0;
  let matches = 0;
  while (m.find()) {
    const start = m.start();
    const end = m.end();
    if (end === start) continue;
    matches++;
    const replaced = replacement();
    if (replaced !== undefined) {
      out += text.slice(last, start) + replaced;
      last = end;
    }
  }
  return { text: last === 0 ? text : out + text.slice(last), matches };
}

function luhnValid(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}
