import { createRoute, z } from '@hono/zod-openapi';
import { actorName } from '../../auth/authenticator.ts';
import { rolloutRequestSchema } from '../../rollouts/spec.ts';
import { getRollout, listRollouts, manualAction, rolloutJson, startRollout } from '../../rollouts/store.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { errorResponses, jsonBody, jsonResponse, notFoundResponse, requires } from '../schemas.ts';

const anyJson = z.record(z.string(), z.unknown());
const STATES = ['running', 'paused', 'promoted', 'rolled_back', 'aborted'] as const;
const idParam = z.object({ id: z.string().describe('the rollout id') });

const listQuery = z.object({
  template: z.string().optional(),
  state: z.enum(STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

function readRoutes(security: ReturnType<typeof requires>, tags: string[]) {
  return {
    list: createRoute({
      method: 'get',
      path: '/',
      tags,
      security,
      summary: 'Rollouts, newest first',
      request: { query: listQuery },
      responses: { 200: jsonResponse(anyJson, 'The rollouts'), ...errorResponses },
    }),
    one: createRoute({
      method: 'get',
      path: '/{id}',
      tags,
      security,
      summary: 'One rollout: its step, guards and last verdict',
      request: { params: idParam },
      responses: { 200: jsonResponse(anyJson, 'The rollout'), ...errorResponses, ...notFoundResponse },
    }),
  };
}

function withReads(deps: ApiDeps, security: ReturnType<typeof requires>, tags: string[]) {
  const r = readRoutes(security, tags);
  return createRouter()
    .openapi(r.list, async (c) => {
      const q = c.req.valid('query');
      const rollouts = await listRollouts(deps.sql, { template: q.template, state: q.state, limit: q.limit });
      return c.json({ rollouts: rollouts.map(rolloutJson) }, 200);
    })
    .openapi(r.one, async (c) =>
      c.json(rolloutJson(await getRollout(deps.sql, c.req.valid('param').id)), 200),
    );
}

/** `GET /api/v1/rollouts[/{id}]`: what a `prompts:read` key may see. */
export function rolloutReadRoutes(deps: ApiDeps) {
  return withReads(deps, requires('prompts:read'), ['rollouts']);
}

const tags = ['admin: rollouts'];
const security = requires('admin');

const start = createRoute({
  method: 'post',
  path: '/',
  tags,
  security,
  summary: 'Start a guarded rollout of a candidate version on a label',
  description:
    'The label must point at one version (the control). Its traffic moves to the candidate step by step (default 10 %, 25 %, 50 %, 5 minutes each, then 100 %) while every guard holds over the window (default the last 5 minutes: error rate at most 2 points worse, significant at p < 0.05; p95 latency at most 1.5×; 30 calls of each version before judging). A breach moves the label back to the control at once and fires `RolloutRolledBack` through the notification routes.',
  request: jsonBody(rolloutRequestSchema),
  responses: {
    201: jsonResponse(anyJson, 'The rollout, at its first step'),
    ...errorResponses,
    ...notFoundResponse,
  },
});

const action = (name: 'pause' | 'resume' | 'abort', summary: string) =>
  createRoute({
    method: 'post',
    path: `/{id}/${name}`,
    tags,
    security,
    summary,
    request: {
      params: idParam,
      body: {
        required: false,
        content: {
          'application/json': { schema: z.strictObject({ reason: z.string().max(500).default('') }) },
        },
      },
    },
    responses: { 200: jsonResponse(anyJson, 'The rollout'), ...errorResponses, ...notFoundResponse },
  });

/** `/api/v1/admin/rollouts`: start, pause, resume, abort (admin), and the reads. */
export function rolloutAdminRoutes(deps: ApiDeps) {
  const router = withReads(deps, security, tags).openapi(start, async (c) => {
    const rollout = await startRollout(deps.sql, c.req.valid('json'), actorName(c.get('principal')));
    return c.json(rolloutJson(rollout), 201);
  });
  for (const [name, summary] of [
    ['pause', 'Pause: the label keeps its split, the rollout stops stepping'],
    ['resume', 'Resume a paused rollout: its current step again, its hold restarted'],
    ['abort', 'Abort: the label back to the control at once'],
  ] as const)
    router.openapi(action(name, summary), async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { reason?: string };
      const rollout = await manualAction(
        deps.sql,
        c.req.valid('param').id,
        name,
        actorName(c.get('principal')),
        typeof body.reason === 'string' ? body.reason.slice(0, 500) : '',
      );
      return c.json(rolloutJson(rollout), 200);
    });
  return router;
}
