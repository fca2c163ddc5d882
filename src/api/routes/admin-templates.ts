import { createRoute, z } from '@hono/zod-openapi';
import { versionStats } from '../../analytics/version-stats.ts';
import { actorName, mayPromote } from '../../auth/authenticator.ts';
import { diffFields, diffText } from '../../prompts/diff.ts';
import { labelHistory, moveLabel, removeLabel } from '../../prompts/store/labels.ts';
import { refuseProtectedMove } from '../../prompts/store/protected-labels.ts';
import { getTemplate, listTemplates, setArchived } from '../../prompts/store/templates.ts';
import { listVersionsOf, resolveVersion, type VersionView } from '../../prompts/store/versions.ts';
import { AUTOMATIC_LABELS, labelNameSchema } from '../../prompts/version-input.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { ApiError } from '../errors.ts';
import {
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

const tags = ['admin: templates'];
const name = z.object({ name: z.string().min(1) });
const nameAndLabel = z.object({ name: z.string().min(1), label: labelNameSchema });
const anyJson = z.record(z.string(), z.unknown());

const list = createRoute({
  method: 'get',
  path: '/',
  tags,
  security: reads,
  summary:
    'Templates by name: labels, version count, latest version, last change; search by name, description or tag',
  request: {
    query: z.object({
      search: z.string().max(200).optional(),
      include_archived: z.enum(['true', 'false']).default('false'),
      ...paging,
    }),
  },
  responses: { 200: jsonResponse(anyJson, 'A page of templates'), ...errorResponses },
});

const summary = createRoute({
  method: 'get',
  path: '/{name}',
  tags,
  security: reads,
  summary: 'A template: description, tags, archive state, labels and version count',
  request: { params: name },
  responses: { 200: jsonResponse(anyJson, 'The template'), ...errorResponses, ...notFoundResponse },
});

const versions = createRoute({
  method: 'get',
  path: '/{name}/versions',
  tags,
  security: reads,
  summary: 'Every version of a template, newest first',
  request: { params: name },
  responses: {
    200: jsonResponse(z.object({ versions: z.array(versionSchema) }), 'The versions'),
    ...errorResponses,
    ...notFoundResponse,
  },
});

const diff = createRoute({
  method: 'get',
  path: '/{name}/diff',
  tags,
  security: reads,
  summary: 'Diff two versions: text line by line, other fields by value',
  request: { params: name, query: z.object({ from: z.string().min(1), to: z.string().min(1) }) },
  responses: { 200: jsonResponse(anyJson, 'The diff'), ...errorResponses, ...notFoundResponse },
});

const moveLabelBody = z
  .object({
    version: z.string().min(1).optional(),
    split: z
      .array(
        z.object({ version: z.string().min(1), weight: z.number().int().positive().max(1_000_000) }).strict(),
      )
      .min(2)
      .max(10)
      .refine((s) => new Set(s.map((v) => v.version)).size === s.length, 'each version may appear once')
      .optional()
      .describe('weighted variants; services pick one per caller key, sticky'),
    reason: z.string().max(2000).default(''),
  })
  .strict()
  .refine((b) => (b.version === undefined) !== (b.split === undefined), {
    message: 'give either version or split',
    path: ['version'],
  });

const putLabel = createRoute({
  method: 'put',
  path: '/{name}/labels/{label}',
  tags,
  security: writes,
  summary:
    'Point a label at a version (promote, roll back) or split it between versions by weight (A/B); a protected label needs prompts:promote',
  request: {
    params: nameAndLabel,
    ...jsonBody(moveLabelBody),
  },
  responses: {
    200: jsonResponse(anyJson, 'Where the label now points'),
    ...errorResponses,
    ...notFoundResponse,
  },
});

const deleteLabel = createRoute({
  method: 'delete',
  path: '/{name}/labels/{label}',
  tags,
  security: writes,
  summary: 'Remove a label',
  request: { params: nameAndLabel },
  responses: { 204: { description: 'Removed' }, ...errorResponses, ...notFoundResponse },
});

const history = createRoute({
  method: 'get',
  path: '/{name}/labels/history',
  tags,
  security: reads,
  summary: 'Every label move of a template, newest first',
  request: { params: name, query: z.object({ label: z.string().optional() }) },
  responses: { 200: jsonResponse(anyJson, 'The moves'), ...errorResponses, ...notFoundResponse },
});

const archive = (archived: boolean) =>
  createRoute({
    method: 'post',
    path: `/{name}/${archived ? 'archive' : 'unarchive'}`,
    tags,
    security: requires('admin'),
    summary: archived
      ? 'Archive a template: versions stay readable; publishing and label moves are refused'
      : 'Restore an archived template',
    request: { params: name },
    responses: { 200: jsonResponse(anyJson, 'The template'), ...errorResponses, ...notFoundResponse },
  });

function refuseAutomaticLabel(label: string, verb: 'moved' | 'removed') {
  if ((AUTOMATIC_LABELS as readonly string[]).includes(label)) {
    throw new ApiError('validation_failed', `'${label}' is maintained automatically and cannot be ${verb}`, {
      fields: [{ field: 'label', message: 'reserved label' }],
    });
  }
}

const refersTo = (ref: string) =>
  /^\d+$/.test(ref) || ref.includes('.') ? { version: ref } : { label: ref };

/** Managing a template by name: versions, diff, labels, history, archive. */
export function adminTemplateRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(list, async (c) => {
      const q = c.req.valid('query');
      const page = await listTemplates(deps.sql, {
        search: q.search,
        includeArchived: q.include_archived === 'true',
        limit: q.limit,
        offset: q.offset,
      });
      return c.json(page, 200);
    })
    .openapi(history, async (c) => {
      const { name } = c.req.valid('param');
      return c.json({ name, moves: await labelHistory(deps.sql, name, c.req.valid('query').label) }, 200);
    })
    .openapi(summary, async (c) => {
      const template = await getTemplate(deps.sql, c.req.valid('param').name);
      const stats = await versionStats(deps.clickhouse.client, deps.log, template.name);
      const versions = stats ? await listVersionsOf(deps.sql, template.name) : [];
      return c.json(
        {
          ...template,
          stats_by_version: stats
            ? Object.fromEntries(versions.map((v) => [v.version, stats(v.version)]))
            : null,
        },
        200,
      );
    })
    .openapi(versions, async (c) => {
      const name = c.req.valid('param').name;
      const [list, stats] = await Promise.all([
        listVersionsOf(deps.sql, name),
        versionStats(deps.clickhouse.client, deps.log, name),
      ]);
      return c.json({ versions: list.map((v) => ({ ...v, stats: stats?.(v.version) ?? null })) }, 200);
    })
    .openapi(diff, async (c) => {
      const { name } = c.req.valid('param');
      const q = c.req.valid('query');
      const [a, b] = await Promise.all([
        resolveVersion(deps.sql, name, refersTo(q.from)),
        resolveVersion(deps.sql, name, refersTo(q.to)),
      ]);
      return c.json(versionDiff(a, b), 200);
    })
    .openapi(putLabel, async (c) => {
      const { name, label } = c.req.valid('param');
      refuseAutomaticLabel(label, 'moved');
      await refuseProtectedMove(deps.sql, [label], mayPromote(c.get('principal')));
      const body = c.req.valid('json');
      const result = await moveLabel(
        deps.sql,
        name,
        label,
        body.split ? { split: body.split } : { version: body.version! },
        body.reason,
        actorName(c.get('principal')),
      );
      return c.json({ name, ...result }, 200);
    })
    .openapi(deleteLabel, async (c) => {
      const { name, label } = c.req.valid('param');
      refuseAutomaticLabel(label, 'removed');
      await refuseProtectedMove(deps.sql, [label], mayPromote(c.get('principal')));
      await removeLabel(deps.sql, name, label, actorName(c.get('principal')));
      return c.body(null, 204);
    })
    .openapi(archive(true), async (c) => {
      const { name } = c.req.valid('param');
      const t = await setArchived(deps.sql, name, true, actorName(c.get('principal')));
      return c.json({ ...t }, 200);
    })
    .openapi(archive(false), async (c) => {
      const { name } = c.req.valid('param');
      const t = await setArchived(deps.sql, name, false, actorName(c.get('principal')));
      return c.json({ ...t }, 200);
    });
}

function versionDiff(a: VersionView, b: VersionView) {
  const text = (v: VersionView) =>
    v.template_text ?? (v.messages ?? []).map((m) => `[${m.role}]\n${m.content}`).join('\n');
  return {
    name: a.name,
    from: { version: a.version, id: a.id, content_hash: a.content_hash },
    to: { version: b.version, id: b.id, content_hash: b.content_hash },
    identical: a.content_hash === b.content_hash,
    text: diffText(text(a), text(b)),
    fields: diffFields(
      {
        variables: a.variable_definitions,
        model_config: a.model_config,
        guardrails: a.guardrails,
        commit_message: a.commit_message,
      },
      {
        variables: b.variable_definitions,
        model_config: b.model_config,
        guardrails: b.guardrails,
        commit_message: b.commit_message,
      },
    ),
  };
}
