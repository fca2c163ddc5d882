import { createRoute, z } from '@hono/zod-openapi';
import { TEST_RUNS } from '../../analytics/figures.ts';
import { listExecutions } from '../../analytics/llm-calls.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { checkRange, errorResponses, instant, jsonResponse, paging, requires } from '../schemas.ts';

const security = requires('telemetry:read');

const anyJson = z.record(z.string(), z.unknown());

const executions = createRoute({
  method: 'get',
  path: '/',
  tags: ['telemetry'],
  security,
  summary: 'Recent LLM calls, newest first (each span once)',
  request: {
    query: z.object({
      template: z.string().optional(),
      version: z.string().optional(),
      model: z.string().optional(),
      service: z.string().optional(),
      user: z.string().optional().describe('only the calls of this end user'),
      session: z.string().optional().describe('only the calls of this session'),
      conversation: z.string().optional(),
      tenant: z.string().optional(),
      order: z
        .enum(['desc', 'asc'])
        .default('desc')
        .describe('newest first, or oldest first (a session in order)'),
      status: z.enum(['success', 'error']).optional(),
      test_runs: z.enum(TEST_RUNS).default('exclude').describe('admin test runs: exclude, include or only'),
      from: instant.optional(),
      to: instant.optional(),
      ...paging,
    }),
  },
  responses: { 200: jsonResponse(anyJson, '{executions, total}'), ...errorResponses },
});

/** What arrived in ClickHouse: recent calls, each span once (mounted at /api/v1/executions). */
export function executionRoutes(deps: ApiDeps) {
  return createRouter().openapi(executions, async (c) => {
    const query = c.req.valid('query');
    checkRange(query);
    return c.json(await listExecutions(deps.clickhouse.client, { ...query, testRuns: query.test_runs }), 200);
  });
}
