import { z } from 'zod';
import { GUARDRAIL_ACTIONS, type GuardrailRule, PII_KINDS, re2Problem } from '#sdk/templates';

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
  .superRefine((source, ctx) => {
    const problem = re2Problem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The API's schema of a guardrail rule: what the sdk's GuardrailRule type describes, with defaults and limits. */
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

// The schema's output must stay what the sdk evaluates.
const _sameShape: (rule: z.output<typeof guardrailRuleSchema>) => GuardrailRule = (rule) => rule;
