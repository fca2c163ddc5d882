import { createRoute, z } from '@hono/zod-openapi';
import { TEST_RUNS } from '../../analytics/figures.ts';
import { listExecutions, parseWindow, summarise } from '../../analytics/llm-calls.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { validationFailed } from '../errors.ts';
import { checkRange, errorResponses, instant, jsonResponse, paging, requires } from '../schemas.ts';

const security = requires('telemetry:read');

const anyJson = z.record(z.string(), z.unknown());

const executions = createRoute({
  method: 'get',
  path: '/executions',
  tags: ['telemetry'],
  security,
  summary: 'Recent LLM calls, newest first (each span once)',
  request: {
    query: z.object({
      template: z.string().optional(),
      version: z.string().optional(),
      model: z.string().optional(),
      service: z.string().optional(),
      status: z.enum(['success', 'error']).optional(),
      test_runs: z.enum(TEST_RUNS).default('exclude').describe('admin test runs: exclude, include or only'),
      from: instant.optional(),
      to: instant.optional(),
      ...paging,
    }),
  },
  responses: { 200: jsonResponse(anyJson, '{executions, total}'), ...errorResponses },
});

const summary = createRoute({
  method: 'get',
  path: '/analytics/summary',
  tags: ['telemetry'],
  security,
  summary: 'Totals over a recent window: calls, successes, failures, average and P95 latency, cost',
  request: {
    query: z.object({
      window: z.string().default('1h').describe('30s, 15m, 1h, 7d …'),
      test_runs: z.enum(TEST_RUNS).default('exclude').describe('admin test runs: exclude, include or only'),
    }),
  },
  responses: { 200: jsonResponse(anyJson, 'The summary'), ...errorResponses },
});

/** What arrived in ClickHouse, for users and tests. */
export function analyticsRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(executions, async (c) => {
      const query = c.req.valid('query');
      checkRange(query);
      return c.json(
        await listExecutions(deps.clickhouse.client, { ...query, testRuns: query.test_runs }),
        200,
      );
    })
    .openapi(summary, async (c) => {
      const { window, test_runs } = c.req.valid('query');
      const seconds = parseWindow(window);
      if (seconds === undefined) {
        throw validationFailed('invalid window', [
          { field: 'window', message: 'a number and a unit s, m, h or d, e.g. 1h (at most 366d)' },
        ]);
      }
      return c.json({ ...(await summarise(deps.clickhouse.client, seconds, Date.now(), test_runs)) }, 200);
    });
}
