import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { GuardrailRule } from '#sdk/templates';
import {
  declarationMismatch,
  type FieldProblem,
  normaliseVariables,
  type PromptBody,
  parseBody,
  type VariableDefinition,
} from '#sdk/templates';
import { guardrailRuleSchema } from './guardrail-schema.ts';
import { stableJson } from './stable-json.ts';
import { variableDeclarationSchema } from './variable-schema.ts';

export const LABEL_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,199}$/;
export const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
/** Labels the registry maintains itself. */
export const AUTOMATIC_LABELS = ['latest'] as const;

export const chatMessageSchema = z
  .object({ role: z.enum(['system', 'user', 'assistant', 'model']), content: z.string().max(1_000_000) })
  .strict();

export const modelConfigSchema = z
  .object({
    provider: z.string().min(1).max(100).describe('vertex_ai | gemini | mock | any provider name'),
    model_name: z.string().min(1).max(200),
    temperature: z.number().min(0).max(2).optional(),
    max_output_tokens: z.number().int().positive().optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().positive().optional(),
  })
  .catchall(z.unknown())
  .describe('Provider and model plus any other provider parameters');

export const labelNameSchema = z.string().regex(LABEL_NAME, 'lowercase letters, digits, _ . - (at most 63)');

/** The body of `POST /api/v1/admin/prompts`: the seed's fields plus the registry's. */
export const createVersionSchema = z
  .object({
    name: z
      .string()
      .regex(TEMPLATE_NAME, 'letters, digits and _ . - /, at most 200, starting with a letter or digit'),
    version: z
      .string()
      .regex(SEMVER, 'a semantic version such as 1.2.0; leave it out to number versions automatically')
      .optional(),
    description: z.string().max(10_000).optional(),
    tags: z.array(z.string().min(1).max(100)).max(50).optional(),
    template_text: z.string().max(1_000_000).optional(),
    messages: z.array(chatMessageSchema).min(1).max(200).optional(),
    variables: z.array(variableDeclarationSchema).max(200).default([]),
    model_config: modelConfigSchema.optional(),
    guardrails: z.array(guardrailRuleSchema).max(50).default([]),
    commit_message: z.string().max(10_000).default(''),
    is_active: z.boolean().default(false).describe('true labels this version production'),
    labels: z.array(labelNameSchema).max(20).default([]).describe('extra labels to point at this version'),
  })
  .strict();
export type CreateVersionInput = z.output<typeof createVersionSchema>;

export interface ValidatedVersion {
  body: PromptBody;
  definitions: VariableDefinition[];
  guardrails: GuardrailRule[];
  modelConfig: Record<string, unknown>;
  contentHash: string;
}

/** The checks beyond the schema: one body, valid placeholders, variables declared exactly as used. */
export function validateVersion(
  input: CreateVersionInput,
): { ok: true; value: ValidatedVersion } | { ok: false; message: string; problems: FieldProblem[] } {
  if ((input.template_text === undefined) === (input.messages === undefined)) {
    return {
      ok: false,
      message: 'give exactly one of template_text or messages',
      problems: [{ path: 'template_text', message: 'exactly one of template_text or messages is required' }],
    };
  }
  const body: PromptBody =
    input.template_text !== undefined
      ? { template_text: input.template_text }
      : { messages: input.messages! };
  const parsed = parseBody(body);
  if (!parsed.ok)
    return { ok: false, message: 'the template has malformed placeholders', problems: parsed.problems };
  const { definitions, problems } = normaliseVariables(input.variables);
  if (problems.length > 0) return { ok: false, message: 'invalid variable declarations', problems };
  const { undeclared, unused } = declarationMismatch(parsed.parsed.variables, definitions);
  if (undeclared.length || unused.length) {
    const fieldProblems: FieldProblem[] = [];
    if (undeclared.length)
      fieldProblems.push({ path: 'variables', message: `used but not declared: ${undeclared.join(', ')}` });
    if (unused.length)
      fieldProblems.push({ path: 'variables', message: `declared but never used: ${unused.join(', ')}` });
    return { ok: false, message: 'declared variables do not match the template', problems: fieldProblems };
  }
  for (const label of input.labels) {
    if ((AUTOMATIC_LABELS as readonly string[]).includes(label)) {
      return {
        ok: false,
        message: `'${label}' is maintained automatically`,
        problems: [{ path: 'labels', message: `'${label}' cannot be set by hand` }],
      };
    }
  }
  const modelConfig = input.model_config ?? {};
  const contentHash = hashContent({ body, definitions, modelConfig, guardrails: input.guardrails });
  return { ok: true, value: { body, definitions, guardrails: input.guardrails, modelConfig, contentHash } };
}

export function hashContent(content: {
  body: PromptBody;
  definitions: VariableDefinition[];
  modelConfig: Record<string, unknown>;
  guardrails: GuardrailRule[];
}): string {
  return `sha256:${createHash('sha256').update(stableJson(content)).digest('hex')}`;
}
