import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { listGlobalGuardrails } from '../../prompts/global-guardrails.ts';
import { resolveVersion } from '../../prompts/repository.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { validationFailed } from '../errors.ts';
import { errorResponses, jsonResponse, notFoundResponse, security } from '../schemas.ts';

const read = createRoute({
  method: 'get',
  path: '/{name}',
  tags: ['prompts (services)'],
  security,
  summary: 'The version a label points at (default production), or a given version; ETag / 304 supported',
  request: {
    params: z.object({ name: z.string().min(1) }),
    query: z.object({ label: z.string().min(1).optional(), version: z.string().min(1).optional() }),
    headers: z.object({ 'if-none-match': z.string().optional() }),
  },
  responses: {
    200: jsonResponse(z.record(z.string(), z.unknown()), 'The resolved template version'),
    304: { description: 'Unchanged since the ETag the client holds' },
    ...errorResponses,
    ...notFoundResponse,
  },
});

/** The services' read path: resolved from memory, refilled from Postgres when a change drops the entry. */
export function promptRoutes(deps: ApiDeps) {
  return createRouter().openapi(read, async (c) => {
    const { name } = c.req.valid('param');
    const q = c.req.valid('query');
    if (q.label !== undefined && q.version !== undefined) {
      throw validationFailed('give label or version, not both', [
        { field: 'version', message: 'conflicts with label' },
      ]);
    }
    const selector = q.version !== undefined ? { version: q.version } : { label: q.label ?? 'production' };
    const key = `${name}\u0000${'version' in selector ? `v:${selector.version}` : `l:${selector.label}`}`;
    let entry = deps.promptCache.get(key);
    if (!entry) {
      const generation = deps.promptCache.generation();
      const [version, globals] = await Promise.all([
        resolveVersion(deps.sql, name, selector),
        listGlobalGuardrails(deps.sql),
      ]);
      const body = JSON.stringify({
        ...version,
        resolved_by: selector,
        guardrails: [
          ...version.guardrails.map((rule) => ({ ...rule, scope: 'template' })),
          ...globals.map((g) => ({ ...g.rule, scope: 'global' })),
        ],
      });
      entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      deps.promptCache.set(key, name, entry, generation);
    }
    c.header('ETag', entry.etag);
    c.header('Cache-Control', 'private, no-cache');
    if (c.req.header('if-none-match') === entry.etag) return c.body(null, 304);
    c.header('Content-Type', 'application/json');
    return c.body(entry.body, 200);
  });
}
