import { createRoute, z } from '@hono/zod-openapi';
import { type ApiDeps, createRouter } from '../context.ts';

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the process answers',
  responses: {
    200: {
      content: { 'application/json': { schema: z.object({ status: z.literal('healthy') }) } },
      description: 'Alive',
    },
  },
});

const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(
    z.string(),
    z.object({ status: z.enum(['up', 'down']), embedded: z.boolean(), error: z.string().optional() }),
  ),
});

const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['health'],
  summary: 'Readiness: both stores answer; 503 names the one that does not',
  responses: {
    200: { content: { 'application/json': { schema: readiness } }, description: 'Ready' },
    503: { content: { 'application/json': { schema: readiness } }, description: 'A store is down' },
  },
});

const TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<{ status: 'up' | 'down'; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(health, (c) => c.json({ status: 'healthy' as const }, 200))
    .openapi(ready, async (c) => {
      const [postgres, clickhouse] = await Promise.all([
        probe(() => deps.sql`select 1`),
        probe(async () => {
          const r = await deps.clickhouse.client.ping();
          if (!r.success) throw r.error;
        }),
      ]);
      const checks = {
        postgres: { ...postgres, embedded: deps.postgresEmbedded },
        clickhouse: { ...clickhouse, embedded: deps.clickhouse.embedded },
      };
      const ok = postgres.status === 'up' && clickhouse.status === 'up';
      return ok
        ? c.json({ status: 'ready' as const, checks }, 200)
        : c.json({ status: 'unavailable' as const, checks }, 503);
    });
}
