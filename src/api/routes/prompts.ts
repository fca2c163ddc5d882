import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { listGlobalGuardrails } from '../../prompts/store/global-guardrails.ts';
import { labelSplit } from '../../prompts/store/labels.ts';
import { resolveVersion, type VersionView } from '../../prompts/store/versions.ts';
import { type ApiDeps, type AppEnv, createRouter, header } from '../context.ts';
import { validationFailed } from '../errors.ts';
import type { CachedResponse } from '../resolved-prompt-cache.ts';
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
  return router.get('/:name', (c) => readPrompt(c, deps));
}

/** Answers a read: synchronously from memory when the entry is cached, else after filling it from Postgres. */
export function readPrompt(c: Context<AppEnv>, deps: ApiDeps): Response | Promise<Response> {
  const name = decodeURIComponent(c.req.param('name') ?? '');
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
  const entry = deps.promptCache.get(key);
  if (entry) return answer(c, entry);
  return fill(deps, name, selector, key).then((filled) => answer(c, filled));
}

/**
 * A Response made directly with plain headers: Hono's `c.body` with more than one header builds a Fetch `Headers`
 * object per call, which is most of what the read path costs.
 */
function answer(c: Context<AppEnv>, entry: CachedResponse): Response {
  if (header(c, 'if-none-match') === entry.etag)
    return new Response(null, {
      status: 304,
      headers: { etag: entry.etag, 'cache-control': 'private, no-cache' },
    });
  return new Response(entry.body, {
    status: 200,
    headers: { etag: entry.etag, 'cache-control': 'private, no-cache', 'content-type': 'application/json' },
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
  const entry = {
    body: Buffer.from(body),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
  deps.promptCache.set(key, name, entry, generation);
  return entry;
}
