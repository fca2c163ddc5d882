import type { MiddlewareHandler } from 'hono';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Scope } from '../auth/keys.ts';
import type { AppEnv } from './context.ts';

/** Rejects requests whose bearer key is missing (401) or lacks the scope (403). */
export function requireScope(auth: Authenticator, scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('principal', await auth.authenticate(c.req.header('authorization'), scope));
    await next();
  };
}
