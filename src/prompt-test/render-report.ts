import { z } from 'zod';
import type { VariableDefinition, VariableType } from '#sdk/templates';
import { declarationMismatch, type PromptBody, parseBody, renderParsed } from '#sdk/templates';
import { DomainError } from '../domain-error.ts';
import type { VersionView } from '../prompts/store/versions.ts';
import { chatMessageSchema, modelConfigSchema } from '../prompts/version-input.ts';

const validationFailed = (message: string, fields: { field: string; message: string }[]) =>
  new DomainError('validation_failed', message, { fields });

/** Either an inline template (the seed's shape) or a stored one by name + label/version. */
export const testRequestSchema = z
  .object({
    template_text: z.string().max(1_000_000).optional(),
    messages: z.array(chatMessageSchema).min(1).max(200).optional(),
    name: z.string().optional().describe('render a stored template instead of an inline one'),
    label: z.string().optional(),
    version: z.string().optional(),
    variables: z.record(z.string(), z.unknown()).default({}).describe('variable values'),
    model_config: modelConfigSchema.optional(),
    execute: z.boolean().default(false).describe('also run the rendered prompt against the configured model'),
  })
  .strict();
export type TestRequest = z.output<typeof testRequestSchema>;

export interface TestResult {
  valid: boolean;
  rendered_prompt: string | null;
  rendered_messages: { role: string; content: string }[] | null;
  variables_found: string[];
  missing_variables: string[];
  unused_variables: string[];
  type_errors: { name: string; message: string }[];
  model_config: Record<string, unknown> | null;
  source: { name: string; version: string } | null;
}

/**
 * Renders for an admin's preview. Unlike the services' path it never fails on variables: a missing one stays
 * visible as `{{name}}` and is reported, so the admin sees everything that is wrong at once.
 */
export function renderTest(input: TestRequest, stored?: VersionView): TestResult {
  const inlineBodies = Number(input.template_text !== undefined) + Number(input.messages !== undefined);
  if (!stored && inlineBodies !== 1) {
    throw validationFailed('give template_text, messages, or the name of a stored template', [
      { field: 'template_text', message: 'exactly one of template_text, messages or name is required' },
    ]);
  }
  const body: PromptBody = stored
    ? stored.template_text !== null
      ? { template_text: stored.template_text }
      : { messages: stored.messages! }
    : input.template_text !== undefined
      ? { template_text: input.template_text }
      : { messages: input.messages! };
  const parsed = parseBody(body);
  if (!parsed.ok) {
    throw validationFailed(
      'the template has malformed placeholders',
      parsed.problems.map((p) => ({ field: p.path, message: p.message })),
    );
  }
  const found = parsed.parsed.variables;
  const definitions: VariableDefinition[] = stored
    ? stored.variable_definitions
    : found.map((name) => ({ name, type: inferType(input.variables[name]), required: true }));
  const supplied = Object.keys(input.variables);
  const missing = definitions
    .filter((d) => d.required && d.default === undefined && (input.variables[d.name] ?? null) === null)
    .map((d) => d.name);
  const unused = supplied.filter((name) => !found.includes(name));
  // Render with placeholders standing in for what is missing, and only the declared values.
  const values: Record<string, unknown> = {};
  for (const d of definitions) {
    const v = input.variables[d.name];
    if (v !== undefined && v !== null) values[d.name] = v;
    else if (missing.includes(d.name)) values[d.name] = `{{${d.name}}}`;
  }
  const previewDefs = definitions.map((d) =>
    missing.includes(d.name) ? { ...d, type: 'string' as const } : d,
  );
  const result = renderParsed(parsed.parsed, body.messages !== undefined, previewDefs, values);
  const typeErrors = result.ok ? [] : result.wrongType.map((w) => ({ name: w.name, message: w.message }));
  const { undeclared } = declarationMismatch(found, definitions);
  return {
    valid: result.ok && missing.length === 0 && unused.length === 0 && undeclared.length === 0,
    rendered_prompt: result.ok ? (result.rendered.text ?? null) : null,
    rendered_messages: result.ok ? (result.rendered.messages ?? null) : null,
    variables_found: found,
    missing_variables: missing,
    unused_variables: unused,
    type_errors: typeErrors,
    model_config: input.model_config ?? stored?.model_config ?? null,
    source: stored ? { name: stored.name, version: stored.version } : null,
  };
}

function inferType(value: unknown): VariableType {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (value === undefined || typeof value === 'string') return 'string';
  return 'json';
}
