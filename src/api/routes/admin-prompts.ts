import { createRoute, z } from '@hono/zod-openapi';
import { versionStats } from '../../analytics/version-stats.ts';
import { actorName, mayPromote } from '../../auth/authenticator.ts';
import { executePrompt } from '../../prompt-test/execute.ts';
import { renderTest, testRequestSchema } from '../../prompt-test/render-report.ts';
import { refuseProtectedMove } from '../../prompts/store/protected-labels.ts';
import { createVersion, getVersionById, listVersions, resolveVersion } from '../../prompts/store/versions.ts';
import { createVersionSchema, validateVersion } from '../../prompts/version-input.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { validationFailed } from '../errors.ts';
import {
  conflictResponse,
  errorResponses,
  jsonBody,
  jsonResponse,
  notFoundResponse,
  paging,
  requires,
  versionSchema,
} from '../schemas.ts';

const reads = requires('prompts:read');
const writes = requires('prompts:write');

const tags = ['admin: prompts'];

const list = createRoute({
  method: 'get',
  path: '/',
  tags,
  security: reads,
  summary: 'List template versions, newest first',
  request: {
    query: z.object({
      name: z.string().optional(),
      tag: z.string().optional(),
      label: z.string().optional(),
      include_archived: z.enum(['true', 'false']).default('false'),
      ...paging,
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ templates: z.array(versionSchema), total: z.number() }),
      'A page of versions',
    ),
    ...errorResponses,
  },
});

const create = createRoute({
  method: 'post',
  path: '/',
  tags,
  security: writes,
  summary: 'Publish a new immutable version (creates the template on first use)',
  request: jsonBody(createVersionSchema),
  responses: {
    201: jsonResponse(versionSchema, 'The new version'),
    ...errorResponses,
    ...conflictResponse,
  },
});

const get = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  security: reads,
  summary: 'One template version in full, with its labels',
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: jsonResponse(versionSchema, 'The version'), ...errorResponses, ...notFoundResponse },
});

const test = createRoute({
  method: 'post',
  path: '/test',
  tags,
  security: writes,
  summary: 'Render a template (given inline or stored) and report found, missing and unused variables',
  request: jsonBody(testRequestSchema),
  responses: {
    200: jsonResponse(z.record(z.string(), z.unknown()), 'The rendering'),
    ...errorResponses,
    ...notFoundResponse,
  },
});

/** The seed's `/api/v1/admin/prompts` endpoints, verbatim shapes. */
export function adminPromptRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(list, async (c) => {
      const q = c.req.valid('query');
      const page = await listVersions(deps.sql, {
        name: q.name,
        tag: q.tag,
        label: q.label,
        includeArchived: q.include_archived === 'true',
        limit: q.limit,
        offset: q.offset,
      });
      return c.json(page, 200);
    })
    .openapi(create, async (c) => {
      const input = c.req.valid('json');
      const checked = validateVersion(input);
      if (!checked.ok) {
        throw validationFailed(
          checked.message,
          checked.problems.map((p) => ({ field: p.path, message: p.message })),
        );
      }
      await refuseProtectedMove(
        deps.sql,
        [...(input.is_active ? ['production'] : []), ...input.labels],
        mayPromote(c.get('principal')),
      );
      const version = await createVersion(deps.sql, input, checked.value, actorName(c.get('principal')));
      c.header('Location', `/api/v1/admin/prompts/${version.id}`);
      return c.json(version, 201);
    })
    .openapi(test, async (c) => {
      const input = c.req.valid('json');
      const stored =
        'name' in input && input.name !== undefined
          ? await resolveVersion(
              deps.sql,
              input.name,
              input.version ? { version: input.version } : { label: input.label ?? 'production' },
            )
          : undefined;
      const rendering = renderTest(input, stored);
      if (!input.execute) return c.json(rendering, 200);
      if (!rendering.valid) {
        throw validationFailed('fix the variables before executing', [
          ...rendering.missing_variables.map((v) => ({ field: `variables.${v}`, message: 'missing' })),
          ...rendering.unused_variables.map((v) => ({
            field: `variables.${v}`,
            message: 'not used by the template',
          })),
          ...rendering.type_errors.map((e) => ({ field: `variables.${e.name}`, message: e.message })),
        ]);
      }
      if (!rendering.model_config) {
        throw validationFailed('executing needs a model', [
          { field: 'model_config', message: 'required to execute' },
        ]);
      }
      const rendered = rendering.rendered_messages
        ? { messages: rendering.rendered_messages }
        : { text: rendering.rendered_prompt ?? '' };
      const execution = await executePrompt(
        rendered,
        rendering.model_config,
        { telemetry: deps.telemetry, models: deps.config.models },
        stored && {
          name: stored.name,
          version: stored.version,
          label: 'name' in input && !input.version ? (input.label ?? 'production') : undefined,
        },
      );
      return c.json({ ...rendering, execution }, 200);
    })
    .openapi(get, async (c) => {
      const version = await getVersionById(deps.sql, c.req.valid('param').id);
      const stats = await versionStats(deps.clickhouse.client, deps.log, version.name);
      return c.json({ ...version, stats: stats?.(version.version) ?? null }, 200);
    });
}
