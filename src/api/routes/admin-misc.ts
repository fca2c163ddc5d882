import { createRoute, z } from '@hono/zod-openapi';
import { repriceCalls } from '../../analytics/reprice.ts';
import { listAudit, recordAudit } from '../../audit.ts';
import { actorName } from '../../auth/authenticator.ts';
import { issueKey, revokeKey } from '../../auth/key-lifecycle.ts';
import { keyJson, listApiKeys } from '../../auth/key-store.ts';
import { SCOPES } from '../../auth/keys.ts';
import { LAST_INSTANT_MS } from '../../instants.ts';
import { guardrailRuleSchema } from '../../prompts/guardrail-schema.ts';
import {
  createGlobalGuardrail,
  deleteGlobalGuardrail,
  listGlobalGuardrails,
} from '../../prompts/store/global-guardrails.ts';
import {
  listProtectedLabels,
  type ProtectedLabel,
  protectLabel,
  unprotectLabel,
} from '../../prompts/store/protected-labels.ts';
import { labelNameSchema } from '../../prompts/version-input.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { notFound, validationFailed } from '../errors.ts';
import {
  errorResponses,
  instant,
  jsonBody,
  jsonResponse,
  notFoundResponse,
  paging,
  requires,
} from '../schemas.ts';

const security = requires('admin');

const anyJson = z.record(z.string(), z.unknown());

const guardrailsList = createRoute({
  method: 'get',
  path: '/guardrails',
  tags: ['admin: guardrails'],
  security,
  summary: 'Guardrail rules that apply to every template',
  responses: { 200: jsonResponse(anyJson, 'The rules'), ...errorResponses },
});
const guardrailsCreate = createRoute({
  method: 'post',
  path: '/guardrails',
  tags: ['admin: guardrails'],
  security,
  summary: 'Add a guardrail rule for every template (template-specific rules are part of each version)',
  request: jsonBody(guardrailRuleSchema),
  responses: { 201: jsonResponse(anyJson, 'The rule'), ...errorResponses },
});
const guardrailsDelete = createRoute({
  method: 'delete',
  path: '/guardrails/{id}',
  tags: ['admin: guardrails'],
  security,
  summary: 'Remove a global guardrail rule',
  request: { params: z.object({ id: z.string() }) },
  responses: { 204: { description: 'Removed' }, ...errorResponses, ...notFoundResponse },
});

const keysList = createRoute({
  method: 'get',
  path: '/keys',
  tags: ['admin: keys'],
  security,
  summary: 'API keys (never their secrets)',
  request: { query: z.object({ include_revoked: z.enum(['true', 'false']).default('false') }) },
  responses: { 200: jsonResponse(anyJson, 'The keys'), ...errorResponses },
});
const keysCreate = createRoute({
  method: 'post',
  path: '/keys',
  tags: ['admin: keys'],
  security,
  summary: 'Create an API key; the response is the only time the key is shown',
  request: jsonBody(
    z.object({ name: z.string().min(1).max(200), scopes: z.array(z.enum(SCOPES)).min(1) }).strict(),
  ),
  responses: { 201: jsonResponse(anyJson, 'The key, shown once'), ...errorResponses },
});
const keysRevoke = createRoute({
  method: 'delete',
  path: '/keys/{id}',
  tags: ['admin: keys'],
  security,
  summary: 'Revoke an API key (takes effect on every instance within seconds)',
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: jsonResponse(anyJson, 'The revoked key'), ...errorResponses, ...notFoundResponse },
});

const audit = createRoute({
  method: 'get',
  path: '/audit',
  tags: ['admin: audit'],
  security,
  summary: 'Who changed what, newest first',
  request: {
    query: z.object({ resource_type: z.string().optional(), resource_id: z.string().optional(), ...paging }),
  },
  responses: { 200: jsonResponse(anyJson, 'Audit entries'), ...errorResponses },
});

const reprice = createRoute({
  method: 'post',
  path: '/reprice',
  tags: ['admin: prices'],
  security,
  summary: 'Re-price stored calls with the current price catalog (a correction, recorded in the audit log)',
  description:
    'Calls in [from, to) that a catalog priced (the sdk or the collector) or that are unpriced are priced again with the ' +
    "server's catalog (PROMPTSCOPE_PRICES_FILE, promptscope's own prices, the reference data) at each call's own time. " +
    'Changed calls get a corrected row in llm_calls: every figure reads the new cost, and the hourly rollup rebuilds ' +
    "the hours touched. Calls priced by someone else (a service's own cost) are left as they are. `dry_run` counts " +
    'what would change and writes nothing.',
  request: jsonBody(
    z
      .object({
        from: z.union([z.number().int().min(0).max(LAST_INSTANT_MS), instant]).describe('start (inclusive)'),
        to: z.union([z.number().int().min(0).max(LAST_INSTANT_MS), instant]).describe('end (exclusive)'),
        model: z.string().min(1).max(200).optional(),
        provider: z.string().min(1).max(200).optional(),
        dry_run: z.boolean().default(false),
      })
      .strict(),
  ),
  responses: { 200: jsonResponse(anyJson, 'What changed'), ...errorResponses },
});

const protectedList = createRoute({
  method: 'get',
  path: '/protected-labels',
  tags: ['admin: protected labels'],
  security: requires('prompts:read'),
  summary: 'Labels only a key with prompts:promote (or admin) may move, on every template',
  responses: { 200: jsonResponse(anyJson, 'The protected labels'), ...errorResponses },
});
const protectedPut = createRoute({
  method: 'put',
  path: '/protected-labels/{label}',
  tags: ['admin: protected labels'],
  security,
  summary: 'Protect a label: a prompts:write key can no longer move it (publishing onto it included)',
  request: { params: z.object({ label: labelNameSchema }) },
  responses: { 200: jsonResponse(anyJson, 'The protected label'), ...errorResponses },
});
const protectedDelete = createRoute({
  method: 'delete',
  path: '/protected-labels/{label}',
  tags: ['admin: protected labels'],
  security,
  summary: 'Stop protecting a label',
  request: { params: z.object({ label: labelNameSchema }) },
  responses: { 204: { description: 'No longer protected' }, ...errorResponses, ...notFoundResponse },
});

const protectedJson = (p: ProtectedLabel) => ({ ...p, protected_at: p.protected_at.toISOString() });

/** Global guardrails, API keys, protected labels, re-pricing and the audit log. */
export function adminMiscRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(guardrailsList, async (c) => c.json({ guardrails: await listGlobalGuardrails(deps.sql) }, 200))
    .openapi(guardrailsCreate, async (c) => {
      const rule = await createGlobalGuardrail(deps.sql, c.req.valid('json'), actorName(c.get('principal')));
      return c.json({ ...rule }, 201);
    })
    .openapi(guardrailsDelete, async (c) => {
      await deleteGlobalGuardrail(deps.sql, c.req.valid('param').id, actorName(c.get('principal')));
      return c.body(null, 204);
    })
    .openapi(protectedList, async (c) =>
      c.json({ labels: (await listProtectedLabels(deps.sql)).map(protectedJson) }, 200),
    )
    .openapi(protectedPut, async (c) => {
      const row = await protectLabel(deps.sql, c.req.valid('param').label, actorName(c.get('principal')));
      return c.json(protectedJson(row), 200);
    })
    .openapi(protectedDelete, async (c) => {
      await unprotectLabel(deps.sql, c.req.valid('param').label, actorName(c.get('principal')));
      return c.body(null, 204);
    })
    .openapi(keysList, async (c) => {
      const keys = await listApiKeys(deps.sql, c.req.valid('query').include_revoked === 'true');
      return c.json({ keys: keys.map(keyJson) }, 200);
    })
    .openapi(keysCreate, async (c) => {
      const body = c.req.valid('json');
      const created = await issueKey(deps.sql, { ...body, actor: actorName(c.get('principal')) });
      return c.json({ key: created.key, ...keyJson(created.record) }, 201);
    })
    .openapi(keysRevoke, async (c) => {
      const { id } = c.req.valid('param');
      const revoked = await revokeKey(deps.sql, id, actorName(c.get('principal')));
      if (!revoked) throw notFound(`API key '${id}'`);
      return c.json(keyJson(revoked), 200);
    })
    .openapi(reprice, async (c) => {
      const body = c.req.valid('json');
      if (body.from >= body.to)
        throw validationFailed('invalid body', [{ field: 'from', message: 'must be before to' }]);
      const result = await repriceCalls(deps.clickhouse.client, deps.prices, {
        from: body.from,
        to: body.to,
        model: body.model,
        provider: body.provider,
        dryRun: body.dry_run,
      });
      const range = { from: new Date(body.from).toISOString(), to: new Date(body.to).toISOString() };
      if (!body.dry_run)
        await recordAudit(deps.sql, {
          actor: actorName(c.get('principal')),
          action: 'calls.reprice',
          resourceType: 'llm_calls',
          resourceId: `${range.from}/${range.to}`,
          details: { ...range, model: body.model ?? null, provider: body.provider ?? null, ...result },
        });
      return c.json({ ...range, ...result }, 200);
    })
    .openapi(audit, async (c) => {
      const q = c.req.valid('query');
      const page = await listAudit(deps.sql, {
        resourceType: q.resource_type,
        resourceId: q.resource_id,
        limit: q.limit,
        offset: q.offset,
      });
      return c.json(
        { entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })), total: page.total },
        200,
      );
    });
}
