import { z } from 'zod';

export const GUARDRAIL_ACTIONS = ['block', 'redact', 'flag'] as const;
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];
export const PII_KINDS = ['email', 'phone', 'card_number'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

const common = {
  name: z.string().min(1).max(100),
  action: z.enum(GUARDRAIL_ACTIONS),
  /** Whether the rule checks the rendered prompt, the model's output, or both. */
  applies_to: z.enum(['input', 'output', 'both']).default('input'),
};

const regexSource = z
  .string()
  .min(1)
  .max(1000)
  .refine(
    (s) => {
      try {
        new RegExp(s, 'u');
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

export const guardrailRuleSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('max_length'),
      ...common,
      action: z.enum(['block', 'flag'], { message: "max_length takes action 'block' or 'flag'" }),
      max_chars: z.number().int().positive(),
    })
    .strict(),
  z
    .object({
      type: z.literal('blocked_pattern'),
      ...common,
      patterns: z.array(regexSource).min(1).max(50),
      case_insensitive: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      type: z.literal('pii'),
      ...common,
      kinds: z
        .array(z.enum(PII_KINDS))
        .min(1)
        .default([...PII_KINDS]),
    })
    .strict(),
]);
export type GuardrailRule = z.output<typeof guardrailRuleSchema>;

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

const PII_PATTERNS: Record<PiiKind, RegExp> = {
  email: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g,
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
    const patterns =
      rule.type === 'pii'
        ? PII_ORDER.filter((k) => rule.kinds.includes(k)).map((k) => ({
            label: k,
            re: PII_PATTERNS[k],
            check: k === 'card_number' ? luhnValid : undefined,
          }))
        : rule.patterns.map((p, i) => ({
            label: `pattern ${i}`,
            re: new RegExp(p, rule.case_insensitive ? 'giu' : 'gu'),
            check: undefined,
          }));
    for (const { label, re, check } of patterns) {
      let matches = 0;
      current = current.replace(re, (m) => {
        if (check && !check(m)) return m;
        matches++;
        return rule.action === 'redact' ? `[REDACTED:${label.toUpperCase().replace(' ', '_')}]` : m;
      });
      if (matches > 0)
        verdicts.push({ rule: rule.name, type: rule.type, action: rule.action, detail: label, matches });
    }
  }
  return { text: current, blocked: verdicts.some((v) => v.action === 'block'), verdicts };
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
