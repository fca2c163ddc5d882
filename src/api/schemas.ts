import { z } from '@hono/zod-openapi';

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown(),
    }),
  })
  .openapi('Error');

const errorResponse = (description: string) => ({
  content: { 'application/json': { schema: errorSchema } },
  description,
});

export const errorResponses = {
  400: errorResponse('Malformed request (for example, not JSON)'),
  401: errorResponse('Missing or invalid API key'),
  403: errorResponse('The API key lacks the needed scope'),
  422: errorResponse('Schema violation; details.fields lists each field'),
} as const;

export const notFoundResponse = { 404: errorResponse('No such resource') } as const;
export const conflictResponse = { 409: errorResponse('Conflicts with existing state') } as const;

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  body: { content: { 'application/json': { schema } }, required: true, description },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const paging = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

export const security = [{ bearer: [] }];

/** Loosely described payloads whose full shape lives in the domain types. */
export const versionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    version_number: z.number(),
    template_text: z.string().nullable(),
    messages: z.array(z.object({ role: z.string(), content: z.string() })).nullable(),
    variables: z.array(z.string()),
    variable_definitions: z.array(z.record(z.string(), z.unknown())),
    model_config: z.record(z.string(), z.unknown()),
    guardrails: z.array(z.record(z.string(), z.unknown())),
    is_active: z.boolean(),
    labels: z.array(z.string()),
    commit_message: z.string(),
    content_hash: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    archived: z.boolean(),
    template_id: z.string(),
    created_at: z.string(),
    created_by: z.string(),
  })
  .openapi('TemplateVersion');
