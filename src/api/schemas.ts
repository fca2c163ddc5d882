import { z } from '@hono/zod-openapi';
import type { Scope } from '../auth/keys.ts';
import { LAST_INSTANT_MS } from '../instants.ts';
import { validationFailed } from './errors.ts';

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
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
};

/**
 * A time query parameter: ISO 8601 or Unix milliseconds, within what the span tables hold (1970-01-01 ..
 * 2262-04-11), as Unix milliseconds. Anything else is a 422 naming the parameter.
 */
/** Whether the text's calendar date exists (Date.parse reads 2026-02-30 as 2 March). */
function realDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export const instant = z
  .string()
  .transform((text, ctx) => {
    const ms = /^\d{1,16}$/.test(text)
      ? Number(text)
      : /^\d{4}-\d{2}-\d{2}/.test(text) && realDate(text)
        ? Date.parse(text)
        : Number.NaN;
    if (Number.isFinite(ms) && ms >= 0 && ms <= LAST_INSTANT_MS) return ms;
    ctx.addIssue({
      code: 'custom',
      message: `an ISO 8601 time or Unix milliseconds from 1970-01-01 to 2262-04-11, got '${text.slice(0, 40)}'`,
    });
    return z.NEVER;
  })
  .openapi({ type: 'string', example: '2026-11-29T00:00:00Z' });

/** A query's `to` before its `from` is refused (422 naming `to`), on every route that takes both. */
export function checkRange(q: { from?: number; to?: number }): void {
  if (q.from !== undefined && q.to !== undefined && q.from > q.to)
    throw validationFailed('invalid query', [{ field: 'to', message: 'must not be before from' }]);
}

/** The OpenAPI security requirement of a route: a bearer API key holding `scope` (or `admin`). */
export const requires = (scope: Scope) => [{ bearer: [scope] }];

const windowStatsSchema = z.object({
  calls: z.number(),
  success_rate: z.number().nullable(),
  p95_ms: z.number().nullable(),
  cost: z.string().describe('exact decimal'),
});

/** A version's figures from llm_calls, or null when ClickHouse did not answer. */
export const versionStatsSchema = z
  .object({ last_24h: windowStatsSchema, last_7d: windowStatsSchema })
  .openapi('VersionStats');

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
    stats: versionStatsSchema
      .nullable()
      .optional()
      .describe('calls, success rate, p95 and cost of this version (single-version and per-template views)'),
  })
  .openapi('TemplateVersion');
