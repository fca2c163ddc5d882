import { z } from 'zod';
import { parseDuration } from '../platform/duration.ts';
import { isTimeZone } from './budget-period.ts';
import { keyFilters, keyList } from './key-schema.ts';

/**
 * Budgets as code, in a rule file's `budgets` list beside its `groups`: an amount per day or month (UTC or a named
 * time zone) for all calls or per group (service, template, tenant, property, …), with warning steps and a forecast.
 * Each budget becomes a rule group of its own (see budgets.ts), so it is checked, tested, silenced and routed like
 * any rule.
 */

const AMOUNT = /^\d{1,12}(\.\d{1,6})?$/;
const DURATION_SPEC = 'a duration like 6h or 7d';
const duration = z.string({ error: DURATION_SPEC }).refine((t) => {
  const ms = parseDuration(t);
  return ms !== undefined && ms >= 60_000 && ms <= 92 * 86_400_000;
}, `${DURATION_SPEC}, from 1m to 92d`);

export const budgetSchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'a name like monthly-llm (letters, digits, - and _)' })
        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'a name like monthly-llm (letters, digits, - and _)'),
      amount: z
        .union([z.string(), z.number()], { error: 'an amount in USD, like 5000 or "1250.50"' })
        .transform(String)
        .refine(
          (t) => AMOUNT.test(t) && /[1-9]/.test(t),
          'an amount in USD above 0, like 5000 or "1250.50" (at most 6 decimals)',
        )
        .describe('USD per period'),
      period: z.enum(['day', 'month'], { error: 'day or month' }),
      time_zone: z
        .string({ error: 'an IANA time zone like Europe/Berlin' })
        .refine(isTimeZone, 'an IANA time zone like Europe/Berlin or UTC')
        .default('UTC')
        .describe('where the period starts and ends (default UTC)'),
      by: keyList('a key is named twice').describe(
        'one budget per value (e.g. [tenant]): each tenant has the whole amount',
      ),
      where: keyFilters().describe('only these calls count'),
      warn_at: z
        .array(z.number({ error: 'a percentage, like 80' }).positive().max(1000), {
          error: 'a list of percentages, like [50, 80, 100]',
        })
        .min(1, 'at least one step')
        .refine((steps) => new Set(steps).size === steps.length, 'a step is named twice')
        .default([50, 80, 100])
        .describe('alert when spend reaches these percentages of the amount'),
      forecast: z
        .union(
          [
            z.literal(false),
            z.strictObject({
              lookback: duration
                .optional()
                .describe(
                  'the recent rate is the spend over this long (default 7d for a month, 6h for a day)',
                ),
              for: z
                .string()
                .refine((t) => parseDuration(t) !== undefined, DURATION_SPEC)
                .default('15m')
                .describe('the projection must stay over the amount this long'),
            }),
          ],
          { error: 'false, or { lookback, for }' },
        )
        .default({ for: '15m' })
        .describe('alert when the period-end spend projected from the recent rate is over the amount'),
      interval: z
        .enum(['30s', '1m', '5m', '15m'], { error: 'one of 30s, 1m, 5m, 15m' })
        .default('1m')
        .describe('how often the budget is evaluated'),
      labels: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
        .default({ severity: 'warning' })
        .describe('labels of its alerts, for routing (default severity: warning)'),
    },
    { error: 'each budget is an object' },
  )
  .superRefine((b, ctx) => {
    for (const name of Object.keys(b.labels))
      if (['alertname', 'budget', 'threshold', ...b.by].includes(name))
        ctx.addIssue({
          code: 'custom',
          path: ['labels', name],
          message: `'${name}' is set by the budget itself`,
          input: b.labels,
        });
  });

export type BudgetShape = z.infer<typeof budgetSchema>;

export const BUDGET_KEYS = [
  'name',
  'amount',
  'period',
  'time_zone',
  'by',
  'where',
  'warn_at',
  'forecast',
  'interval',
  'labels',
];
