import type { MiddlewareHandler } from 'hono';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Scope } from '../auth/keys.ts';
import type { AppEnv } from './context.ts';

/** Rejects requests whose bearer key is missing (401) or lacks the scope (403); `scope` may depend on the request. */
export function requireScope(
  auth: Authenticator,
  scope: Scope | ((method: string, path: string) => Scope),
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const needed = typeof scope === 'function' ? scope(c.req.method, c.req.path) : scope;
    c.set('principal', await auth.authenticate(c.req.header('authorization'), needed));
    await next();
  };
}

/**
 * What an admin path needs: reading templates (versions, diffs, label history, the protected labels) is prompts:read;
 * publishing versions and moving labels is prompts:write (a CI pipeline's key); archiving a template and everything
 * else under /admin is admin.
 */
export function adminPathScope(method: string, path: string): Scope {
  if (/^\/api\/v1\/admin\/templates\/[^/]+\/(archive|unarchive)$/.test(path)) return 'admin';
  const templates = /^\/api\/v1\/admin\/(prompts|templates)(\/|$)/.test(path);
  if (method === 'GET' && (templates || path === '/api/v1/admin/protected-labels')) return 'prompts:read';
  if (templates) return 'prompts:write';
  return 'admin';
}
