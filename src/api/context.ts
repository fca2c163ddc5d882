import type { IncomingMessage } from 'node:http';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { LlmTelemetry } from '#sdk';
import type { PriceCatalog } from '#sdk/pricing';
import type { RuleGroup } from '../alerts/rules.ts';
import type { Authenticator, Principal } from '../auth/authenticator.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { ClickHouseStore } from '../store/clickhouse.ts';
import type { Sql } from '../store/postgres.ts';
import { validationFailed } from './errors.ts';
import type { ResolvedPromptCache } from './resolved-prompt-cache.ts';

/** Everything a route needs, passed in once. */
export interface ApiDeps {
  sql: Sql;
  clickhouse: ClickHouseStore;
  config: Pick<Config, 'maxBodyBytes' | 'models'>;
  /** Traces test executions the way services' calls are traced. */
  telemetry: LlmTelemetry;
  /** The deployment's price catalog (the collector's too), for re-pricing stored calls. */
  prices: PriceCatalog;
  log: Logger;
  auth: Authenticator;
  promptCache: ResolvedPromptCache;
  /** Which stores are embedded, for /ready and the start banner. */
  postgresEmbedded: boolean;
  /**
   * Changes from every instance (this one included): the one place the caches are invalidated. Without it (tests
   * of one app alone) nothing is cached across a change.
   */
  changes?: ChangeFeed;
  /** The alert rule groups loaded from the rule files (GET /api/v1/alerts/rules). */
  alertRules?: RuleGroup[];
}

/** Under @hono/node-server the raw Node request is a binding (absent when a test calls `app.request`). */
export type AppEnv = { Variables: { principal: Principal }; Bindings: { incoming?: IncomingMessage } };

/**
 * A request header, read from Node's own parsed headers when there are some: the first `c.req.header()` builds a
 * Fetch `Headers` object for the whole request, which the read path would pay on every call.
 */
export function header(c: Context<AppEnv>, name: 'authorization' | 'if-none-match'): string | undefined {
  const incoming = c.env?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A router whose schema failures become our 422 listing each field. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const fields = result.error.issues.flatMap((i) =>
          i.code === 'unrecognized_keys'
            ? i.keys.map((k) => ({ field: [...i.path, k].join('.'), message: 'unknown field' }))
            : [{ field: i.path.length > 0 ? i.path.join('.') : result.target, message: i.message }],
        );
        throw validationFailed(
          `invalid ${result.target === 'json' ? 'request body' : result.target}`,
          fields,
        );
      }
    },
  });
}
