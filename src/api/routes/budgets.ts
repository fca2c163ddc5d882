import { createRoute, z } from '@hono/zod-openapi';
import { budgetStateAt, budgetsOf } from '../../alerts/budgets.ts';
import { type ApiDeps, createRouter } from '../context.ts';
import { notFound } from '../errors.ts';
import { errorResponses, instant, jsonResponse, notFoundResponse, requires } from '../schemas.ts';

const read = requires('telemetry:read');

const groupSchema = z.object({
  labels: z
    .record(z.string(), z.string())
    .describe('the group (the budget’s `by` keys); {} for an ungrouped budget'),
  spent: z.string().describe('USD this period so far, exact decimal'),
  projected: z
    .string()
    .nullable()
    .describe('USD by the period’s end at the recent rate (null without a forecast)'),
  remaining: z.string().describe('amount − spent, 0 once over'),
  spent_share: z.number().describe('spent / amount (1 = all of it)'),
  steps_reached: z.array(z.number()).describe('warning steps reached, in percent'),
});

const budgetSchema = z
  .object({
    name: z.string(),
    amount: z.string(),
    currency: z.literal('USD'),
    period: z.enum(['day', 'month']),
    time_zone: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    by: z.array(z.string()),
    where: z.record(z.string(), z.string()),
    warn_at: z.array(z.number()),
    forecast_lookback: z.string().nullable(),
    groups: z.array(groupSchema).describe('every group with spend this period or in the forecast’s lookback'),
  })
  .openapi('Budget');

const query = z.object({
  at: instant.optional().describe('the state as of this time (default: now)'),
});

const list = createRoute({
  method: 'get',
  path: '/',
  tags: ['budgets'],
  security: read,
  summary: 'Every budget of the rule files, with its spend this period, the projection and what remains',
  request: { query },
  responses: {
    200: jsonResponse(z.object({ budgets: z.array(budgetSchema) }), 'The budgets'),
    ...errorResponses,
  },
});

const one = createRoute({
  method: 'get',
  path: '/{name}',
  tags: ['budgets'],
  security: read,
  summary: 'One budget’s state',
  request: { params: z.object({ name: z.string() }), query },
  responses: { 200: jsonResponse(budgetSchema, 'The budget'), ...errorResponses, ...notFoundResponse },
});

/** Budgets (`budgets:` in the rule files) and their state, computed on request from the same figures as the rules. */
export function budgetRoutes(deps: ApiDeps) {
  const budgets = () => budgetsOf(deps.alertRules ?? []);
  return createRouter()
    .openapi(list, async (c) => {
      const at = c.req.valid('query').at ?? Date.now();
      const states = [];
      for (const b of budgets()) states.push(await budgetStateAt(deps.clickhouse.client, b, at));
      return c.json({ budgets: states }, 200);
    })
    .openapi(one, async (c) => {
      const { name } = c.req.valid('param');
      const budget = budgets().find((b) => b.name === name);
      if (!budget) throw notFound(`budget '${name}'`);
      return c.json(
        await budgetStateAt(deps.clickhouse.client, budget, c.req.valid('query').at ?? Date.now()),
        200,
      );
    });
}
