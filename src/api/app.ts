import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { VERSION } from '../version.ts';
import { servePages } from '../web/assets.ts';
import { adminPathScope, requireScope } from './auth-middleware.ts';
import { type ApiDeps, type AppEnv, createRouter, header } from './context.ts';
import { ApiError, errorBody, handleError } from './errors.ts';
import { adminMiscRoutes } from './routes/admin-misc.ts';
import { adminPromptRoutes } from './routes/admin-prompts.ts';
import { adminTemplateRoutes } from './routes/admin-templates.ts';
import { alertRoutes } from './routes/alerts.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { budgetRoutes } from './routes/budgets.ts';
import { executionRoutes } from './routes/executions.ts';
import { healthRoutes } from './routes/health.ts';
import { meRoutes } from './routes/me.ts';
import { promptRoutes, readPrompt } from './routes/prompts.ts';
import { rolloutAdminRoutes, rolloutReadRoutes } from './routes/rollouts.ts';
import { mayHoldUnstorableText, refuseUnstorableText } from './storable-text.ts';

export const API_VERSION = VERSION;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** The Hono app: health, the services' read path, the admin API, OpenAPI document and reference page. */
export function createApp(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.onError(handleError(deps.log));
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));

  // The services' read path first: a key verified lately and a plain URL are answered from memory without the
  // middleware chain below (no promise when the template is cached too). Anything else goes down the chain as usual.
  app.get('/api/v1/prompts/:name', (c, next) => {
    const principal = deps.auth.cachedPrincipal(header(c, 'authorization'), 'prompts:read');
    if (!principal || mayHoldUnstorableText(c.req.url)) return next();
    c.set('principal', principal);
    return readPrompt(c, deps);
  });

  const limitBody = bodyLimit({
    maxSize: deps.config.maxBodyBytes,
    onError: () => {
      throw new ApiError('payload_too_large', `request body exceeds ${deps.config.maxBodyBytes} bytes`, {
        limit_bytes: deps.config.maxBodyBytes,
      });
    },
  });
  // Only requests that carry a body are checked: touching the body of a GET would cost the read path dearly.
  app.use('/api/*', async (c, next) => {
    if (!METHODS_WITH_BODY.has(c.req.method)) return next();
    const length = c.req.header('content-length');
    const hasBody = length !== undefined ? length !== '0' : c.req.header('transfer-encoding') !== undefined;
    if (hasBody) {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/(.+\+)?json\b/i.test(type)) {
        throw new ApiError(
          'unsupported_media_type',
          `Content-Type must be application/json, got '${type || 'none'}'`,
        );
      }
    }
    return limitBody(c, next);
  });

  app.use('/api/v1/admin/*', requireScope(deps.auth, adminPathScope));
  if (deps.changes) {
    deps.changes.on((event) =>
      event.kind === 'prompt' ? deps.promptCache.invalidate(event.name) : deps.auth.invalidate(event.id),
    );
    // A change an admin made is answered once this instance's caches have heard of it: read-your-writes.
    const changes = deps.changes;
    app.use('/api/v1/admin/*', async (c, next) => {
      await next();
      const wrote = METHODS_WITH_BODY.has(c.req.method) || c.req.method === 'DELETE';
      // A refused write changed nothing: no need to wait for the feed.
      if (wrote && c.res.status < 400) await changes.caughtUp();
    });
  }
  app.use('/api/v1/prompts/*', requireScope(deps.auth, 'prompts:read'));
  app.use('/api/v1/rollouts', requireScope(deps.auth, 'prompts:read'));
  app.use('/api/v1/rollouts/*', requireScope(deps.auth, 'prompts:read'));
  app.use('/api/v1/executions', requireScope(deps.auth, 'telemetry:read'));
  app.use('/api/v1/analytics/*', requireScope(deps.auth, 'telemetry:read'));
  app.on(['POST', 'DELETE'], '/api/v1/alerts/silences/*', requireScope(deps.auth, 'admin'));
  app.on(['POST', 'DELETE'], '/api/v1/alerts/silences', requireScope(deps.auth, 'admin'));
  app.use('/api/v1/alerts', requireScope(deps.auth, 'telemetry:read'));
  app.use('/api/v1/alerts/*', requireScope(deps.auth, 'telemetry:read'));
  app.use('/api/v1/budgets', requireScope(deps.auth, 'telemetry:read'));
  app.use('/api/v1/budgets/*', requireScope(deps.auth, 'telemetry:read'));

  app.use('/api/*', refuseUnstorableText());

  app.route('/', healthRoutes(deps));
  app.route('/api/v1/prompts', promptRoutes(deps));
  app.route('/api/v1/admin/prompts', adminPromptRoutes(deps));
  app.route('/api/v1/admin/templates', adminTemplateRoutes(deps));
  app.route('/api/v1/admin/rollouts', rolloutAdminRoutes(deps));
  app.route('/api/v1/admin', adminMiscRoutes(deps));
  app.route('/api/v1/rollouts', rolloutReadRoutes(deps));
  app.route('/api/v1/me', meRoutes(deps));
  app.route('/api/v1/executions', executionRoutes(deps));
  app.route('/api/v1/analytics', analyticsRoutes(deps));
  app.route('/api/v1', alertRoutes(deps));
  app.route('/api/v1/budgets', budgetRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `promptscope keys create --name NAME --scopes admin`',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'promptscope API',
      version: API_VERSION,
      description: 'Versioned prompt templates for services, and their administration.',
    },
  });
  servePages(app);
  return app;
}
