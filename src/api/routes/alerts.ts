import { createRoute, z } from '@hono/zod-openapi';
import {
  activeSilences,
  createSilence,
  expireSilence,
  getSilence,
  isSilenced,
  listSilences,
  parseSilenceRequest,
  silenceJson,
} from '../../alerts/silences.ts';
import { alertHistory, allInstances, ruleStatuses } from '../../alerts/state-store.ts';
import { actorName } from '../../auth/authenticator.ts';
import { formatDuration } from '../../platform/duration.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { notFound, validationFailed } from '../errors.ts';
import {
  checkRange,
  errorResponses,
  instant,
  jsonBody,
  jsonResponse,
  notFoundResponse,
  requires,
} from '../schemas.ts';

const read = requires('telemetry:read');
const admin = requires('admin');
const labelsSchema = z.record(z.string(), z.string());

const alertSchema = z
  .object({
    rule: z.string().describe('<group>/<alert>'),
    alertname: z.string(),
    state: z.enum(['pending', 'firing']),
    labels: labelsSchema,
    annotations: labelsSchema,
    value: z.number().nullable(),
    active_since: z.string().describe('when the condition first held (the `for` clock)'),
    firing_since: z.string().nullable(),
    silenced: z.boolean(),
  })
  .openapi('Alert');

const historySchema = z
  .object({
    id: z.string(),
    rule: z.string(),
    labels: labelsSchema,
    from: z.string(),
    to: z.string(),
    value: z.number().nullable(),
    at: z.string(),
  })
  .openapi('AlertTransition');

const ruleSchema = z
  .object({
    key: z.string(),
    alert: z.string(),
    query: z.enum(['figure', 'sql', 'metric', 'budget']),
    condition: z.string(),
    for: z.string(),
    keep_firing_for: z.string(),
    labels: labelsSchema,
    annotations: labelsSchema,
    health: z.enum(['ok', 'error', 'nodata', 'unknown']),
    last_evaluated_at: z.string().nullable(),
    evaluation_ms: z.number().nullable(),
    error: z.string().nullable(),
    pending: z.number(),
    firing: z.number(),
  })
  .openapi('AlertRule');

const silenceSchema = z
  .object({
    id: z.string(),
    matchers: z.array(z.string()),
    starts_at: z.string(),
    ends_at: z.string(),
    status: z.enum(['active', 'pending', 'expired']),
    comment: z.string(),
    created_by: z.string(),
    created_at: z.string(),
  })
  .openapi('Silence');

const list = createRoute({
  method: 'get',
  path: '/alerts',
  tags: ['alerts'],
  security: read,
  summary: 'Pending and firing alerts, with since when, value, labels and annotations',
  responses: {
    200: jsonResponse(z.object({ alerts: z.array(alertSchema) }), 'Active alerts'),
    ...errorResponses,
  },
});
const history = createRoute({
  method: 'get',
  path: '/alerts/history',
  tags: ['alerts'],
  security: read,
  summary: 'Every state change of every alert, newest first',
  request: {
    query: z.object({
      rule: z.string().optional(),
      from: instant.optional(),
      to: instant.optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ transitions: z.array(historySchema) }), 'Transitions'),
    ...errorResponses,
  },
});
const rules = createRoute({
  method: 'get',
  path: '/alerts/rules',
  tags: ['alerts'],
  security: read,
  summary: 'The rule groups loaded from the rule files, with each rule’s last evaluation and error',
  responses: {
    200: jsonResponse(
      z.object({
        groups: z.array(
          z.object({
            name: z.string(),
            file: z.string(),
            interval: z.string(),
            query_offset: z.string(),
            rules: z.array(ruleSchema),
          }),
        ),
      }),
      'Rule groups',
    ),
    ...errorResponses,
  },
});
const silencesList = createRoute({
  method: 'get',
  path: '/alerts/silences',
  tags: ['alerts'],
  security: read,
  summary: 'Silences, newest first (active, pending and expired)',
  responses: {
    200: jsonResponse(z.object({ silences: z.array(silenceSchema) }), 'Silences'),
    ...errorResponses,
  },
});
const silenceGet = createRoute({
  method: 'get',
  path: '/alerts/silences/{id}',
  tags: ['alerts'],
  security: read,
  summary: 'One silence',
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: jsonResponse(silenceSchema, 'The silence'), ...errorResponses, ...notFoundResponse },
});
const silenceCreate = createRoute({
  method: 'post',
  path: '/alerts/silences',
  tags: ['alerts'],
  security: admin,
  summary:
    'Mute notifications for alerts matching every matcher, from starts_at (default now) until ends_at or for a duration',
  request: jsonBody(
    z
      .object({
        matchers: z
          .array(z.string().max(1000))
          .min(1)
          .max(50)
          .describe('Alertmanager matchers: name=value, name!=value, name=~regex, name!~regex'),
        starts_at: instant.optional(),
        ends_at: instant.optional(),
        duration: z.string().optional().describe('instead of ends_at: 30m, 2h, 1d'),
        comment: z.string().max(2000).default(''),
      })
      .strict(),
  ),
  responses: { 201: jsonResponse(silenceSchema, 'The silence'), ...errorResponses },
});
const silenceExpire = createRoute({
  method: 'delete',
  path: '/alerts/silences/{id}',
  tags: ['alerts'],
  security: admin,
  summary: 'End a silence now',
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: jsonResponse(silenceSchema, 'The expired silence'),
    ...errorResponses,
    ...notFoundResponse,
  },
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Active alerts, their history, the loaded rules with their health, and silences. */
export function alertRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(list, async (c) => {
      const [instances, silences] = await Promise.all([
        allInstances(deps.sql),
        activeSilences(deps.sql, Date.now()),
      ]);
      const alerts = instances
        .filter((i) => i.state !== 'resolved')
        .map((i) => ({
          rule: i.rule,
          alertname: i.labels.alertname ?? '',
          state: i.state as 'pending' | 'firing',
          labels: i.labels,
          annotations: i.annotations,
          value: i.value,
          active_since: iso(i.activeAt)!,
          firing_since: iso(i.firedAt),
          silenced: isSilenced(i.labels, silences),
        }));
      return c.json({ alerts }, 200);
    })
    .openapi(history, async (c) => {
      const q = c.req.valid('query');
      checkRange(q);
      const entries = await alertHistory(deps.sql, {
        rule: q.rule,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        limit: q.limit,
      });
      return c.json(
        {
          transitions: entries.map((e) => ({
            id: e.id,
            rule: e.rule,
            labels: e.labels,
            from: e.from,
            to: e.to,
            value: e.value,
            at: e.at.toISOString(),
          })),
        },
        200,
      );
    })
    .openapi(rules, async (c) => {
      const [statuses, instances] = await Promise.all([ruleStatuses(deps.sql), allInstances(deps.sql)]);
      const count = (rule: string, state: string) =>
        instances.filter((i) => i.rule === rule && i.state === state).length;
      const groups = (deps.alertRules ?? []).map((g) => ({
        name: g.name,
        file: g.file,
        interval: formatDuration(g.intervalMs),
        query_offset: formatDuration(g.queryOffsetMs),
        rules: g.rules.map((r) => {
          const s = statuses.get(r.key);
          return {
            key: r.key,
            alert: r.alert,
            query: r.query.kind,
            condition: `${r.condition.op} ${r.condition.threshold}`,
            for: formatDuration(r.forMs),
            keep_firing_for: formatDuration(r.keepFiringForMs),
            labels: r.labels,
            annotations: r.annotations,
            health: s?.health ?? ('unknown' as const),
            last_evaluated_at: s ? iso(s.lastEvaluatedAt) : null,
            evaluation_ms: s?.evaluationMs ?? null,
            error: s?.error ?? null,
            pending: count(r.key, 'pending'),
            firing: count(r.key, 'firing'),
          };
        }),
      }));
      return c.json({ groups }, 200);
    })
    .openapi(silencesList, async (c) =>
      c.json({ silences: (await listSilences(deps.sql)).map(silenceJson) }, 200),
    )
    .openapi(silenceGet, async (c) => {
      const s = await getSilence(deps.sql, c.req.valid('param').id);
      if (!s) throw notFound(`silence '${c.req.valid('param').id}'`);
      return c.json(silenceJson(s), 200);
    })
    .openapi(silenceCreate, async (c) => {
      const body = c.req.valid('json');
      const silence = parseSilenceRequest(body, Date.now());
      if ('problems' in silence) throw validationFailed('invalid silence', silence.problems);
      const created = await createSilence(deps.sql, {
        ...silence,
        comment: body.comment,
        createdBy: actorName(c.get('principal')),
      });
      return c.json(silenceJson(created), 201);
    })
    .openapi(silenceExpire, async (c) => {
      const { id } = c.req.valid('param');
      const expired = await expireSilence(deps.sql, id, actorName(c.get('principal')));
      if (!expired) throw notFound(`silence '${id}'`);
      return c.json(silenceJson(expired), 200);
    });
}
