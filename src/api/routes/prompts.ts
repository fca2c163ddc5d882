import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { listGlobalGuardrails } from '../../prompts/store/global-guardrails.ts';
import { labelSplit } from '../../prompts/store/labels.ts';
import { resolveVersion, type VersionView } from '../../prompts/store/versions.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { validationFailed } from '../errors.ts';
import { errorResponses, jsonResponse, notFoundResponse, requires } from '../schemas.ts';

const security = requires('prompts:read');

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

/**
 * The services' read path, resolved from memory and refilled from Postgres when a change drops the entry.
 * It is the hottest route, so it is a plain handler (the two query strings need no schema engine); the
 * route is still described in the OpenAPI document.
 */
export function promptRoutes(deps: ApiDeps) {
  const router = createRouter();
  router.openAPIRegistry.registerPath(read);
  return router.get('/:name', async (c) => {
    const name = decodeURIComponent(c.req.param('name'));
    const label = c.req.query('label');
    const version = c.req.query('version');
    if (label !== undefined && version !== undefined) {
      throw validationFailed('give label or version, not both', [
        { field: 'version', message: 'conflicts with label' },
      ]);
    }
    if (label === '' || version === '') {
      throw validationFailed('invalid query', [
        { field: label === '' ? 'label' : 'version', message: 'must not be empty' },
      ]);
    }
    const selector = version !== undefined ? { version } : { label: label ?? 'production' };
    const key = `${name}\u0000${version !== undefined ? `v:${version}` : `l:${selector.label}`}`;
    let entry = deps.promptCache.get(key);
    if (!entry) entry = await fill(deps, name, selector, key);
    if (c.req.header('if-none-match') === entry.etag) {
      return c.body(null, 304, { ETag: entry.etag, 'Cache-Control': 'private, no-cache' });
    }
    return c.body(entry.body, 200, {
      ETag: entry.etag,
      'Cache-Control': 'private, no-cache',
      'Content-Type': 'application/json',
    });
  });
}

async function fill(
  deps: ApiDeps,
  name: string,
  selector: { label: string } | { version: string },
  key: string,
) {
  const generation = deps.promptCache.generation();
  const [version, globals, split] = await Promise.all([
    resolveVersion(deps.sql, name, selector),
    listGlobalGuardrails(deps.sql),
    'label' in selector ? labelSplit(deps.sql, name, selector.label) : null,
  ]);
  const withGuardrails = (v: VersionView) => ({
    ...v,
    guardrails: [
      ...v.guardrails.map((rule) => ({ ...rule, scope: 'template' })),
      ...globals.map((g) => ({ ...g.rule, scope: 'global' })),
    ],
  });
  // A split label lists every variant with its weight; the client picks one per caller key.
  const variants = split
    ? await Promise.all(
        split.map(async (s) => ({
          weight: s.weight,
          ...withGuardrails(await resolveVersion(deps.sql, name, { version: s.version })),
        })),
      )
    : undefined;
  const body = JSON.stringify({
    ...withGuardrails(version),
    resolved_by: selector,
    ...(variants ? { variants } : {}),
  });
  const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  deps.promptCache.set(key, name, entry, generation);
  return entry;
}
