import { createRoute, z } from '@hono/zod-openapi';
import { type ApiDeps, createRouter } from '../context.ts';
import { errorResponses, jsonResponse } from '../schemas.ts';

const me = createRoute({
  method: 'get',
  path: '/',
  tags: ['keys'],
  // Any valid key: a client (the page, a script) asks what it may do before offering it.
  security: [{ bearer: [] }],
  summary: 'The calling key: its id, name and scopes',
  responses: {
    200: jsonResponse(
      z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()) }),
      'The calling key',
    ),
    ...errorResponses,
  },
});

/** `GET /api/v1/me`: who the caller is, for clients that show only what a key may do. */
export function meRoutes(deps: ApiDeps) {
  const router = createRouter();
  router.use(async (c, next) => {
    c.set('principal', await deps.auth.identify(c.req.header('authorization')));
    await next();
  });
  return router.openapi(me, (c) => {
    const p = c.get('principal');
    return c.json({ id: p.keyId, name: p.name, scopes: p.scopes }, 200);
  });
}
