import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { compareVariants } from '../../analytics/ab.ts';
import {
  ATTRIBUTION_KEY_NAMES,
  DIMENSION_NAMES,
  errorsQuery,
  isKey,
  type Key,
  type Query,
  runQueryWithColumns,
  type Slice,
  STEPS,
  TEST_RUNS,
  topCallsQuery,
  USAGE_FIGURES,
  type UsageFigure,
  usageQuery,
} from '../../analytics/figures.ts';
import { parseWindow, summarise, WINDOW_EXPECTED } from '../../analytics/llm-calls.ts';
import { REPORT_NAMES, REPORTS, reportQuery } from '../../analytics/reports.ts';
import { type ApiDeps, type AppEnv, createRouter } from '../context.ts';
import { toCsv, wantsCsv } from '../csv.ts';
import { validationFailed } from '../errors.ts';
import { errorResponses, instant, jsonResponse, requires } from '../schemas.ts';

const security = requires('telemetry:read');

const STEP_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
/** More buckets than any chart draws: a minute step over a year is refused, not computed. */
const MAX_BUCKETS = 10_000;
const DAY_MS = 86_400_000;

const sliceParams = z.object({
  from: instant.optional().describe('start (inclusive); default: 24 hours before `to`'),
  to: instant.optional().describe('end (exclusive); default: now'),
  step: z.enum(STEPS).optional().describe('buckets in UTC; none for one row per group'),
  group_by: z
    .string()
    .optional()
    .describe(
      `comma-separated: ${[...DIMENSION_NAMES, ...ATTRIBUTION_KEY_NAMES].join(', ')}, or property.<name> (attribution keys and properties are read from llm_calls, not the hourly rollup)`,
    ),
  ...Object.fromEntries(
    [...DIMENSION_NAMES, ...ATTRIBUTION_KEY_NAMES].map((d) => [
      d,
      z.string().max(500).optional().describe(`only calls with this ${d}`),
    ]),
  ),
  test_runs: z.enum(TEST_RUNS).default('exclude').describe('admin test runs: exclude, include or only'),
});
type SliceParams = z.output<typeof sliceParams>;

/**
 * The validated slice, or a 422 naming the parameter that is wrong. `raw` is the request's query string, for the
 * `property.<name>=value` filters (any name, so not in the schema).
 */
function sliceOf(q: SliceParams, raw: Record<string, string>, now = Date.now()): Slice {
  const to = q.to ?? now;
  const from = q.from ?? to - DAY_MS;
  if (from >= to) throw validationFailed('invalid query', [{ field: 'from', message: 'must be before to' }]);
  const groupBy = (q.group_by ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  const unknown = groupBy.filter((g) => !isKey(g));
  if (unknown.length > 0 || new Set(groupBy).size !== groupBy.length) {
    throw validationFailed('invalid query', [
      {
        field: 'group_by',
        message: unknown.length
          ? `unknown grouping ${unknown
              .slice(0, 5)
              .map((u) => `'${u.length > 40 ? `${u.slice(0, 40)}…` : u}'`)
              .join(
                ', ',
              )}: use ${[...DIMENSION_NAMES, ...ATTRIBUTION_KEY_NAMES].join(', ')} or property.<name>`
          : 'a grouping is named twice',
      },
    ]);
  }
  if (q.step && (to - from) / STEP_MS[q.step] > MAX_BUCKETS) {
    throw validationFailed('invalid query', [
      { field: 'step', message: `more than ${MAX_BUCKETS} ${q.step}s in the range: use a larger step` },
    ]);
  }
  const filters: Partial<Record<Key, string>> = {};
  for (const d of [...DIMENSION_NAMES, ...ATTRIBUTION_KEY_NAMES]) {
    const value = (q as Record<string, unknown>)[d];
    if (typeof value === 'string') filters[d] = value;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith('property.')) continue;
    if (!isKey(name) || value.length > 500)
      throw validationFailed('invalid query', [
        {
          field: name,
          message:
            'a property filter is property.<name>=<value>: a name of letters, digits, _ . - (up to 64), a value up to 500 characters',
        },
      ]);
    filters[name] = value;
  }
  return { from, to, step: q.step, groupBy: groupBy as Key[], filters, testRuns: q.test_runs };
}

const keyColumns = {
  bucket: z.string().optional().describe('start of the bucket, UTC (with `step`)'),
  ...Object.fromEntries(
    [...DIMENSION_NAMES, ...ATTRIBUTION_KEY_NAMES].map((d) => [
      d,
      z.string().optional().describe(`with group_by=${d}`),
    ]),
  ),
};

const usageRow = z
  .object({
    ...keyColumns,
    // Every figure is present unless the request's `figures` leaves it out.
    calls: z.number(),
    successes: z.number(),
    errors: z.number(),
    success_rate: z.number().nullable(),
    error_rate: z.number().nullable(),
    p50_ms: z.number().nullable(),
    p95_ms: z.number().nullable(),
    p99_ms: z.number().nullable(),
    ttfc_p95_ms: z.number().nullable().describe('time to first chunk, streams only'),
    input_uncached_tokens: z.number(),
    cache_read_tokens: z.number(),
    cache_write_tokens: z.number().describe('input tokens written to a prompt cache'),
    output_tokens: z.number(),
    thinking_tokens: z.number().describe('reasoning tokens, already inside output_tokens'),
    cost: z.string().describe('exact decimal, priced and not-billed calls'),
    cost_per_call: z.string().nullable(),
    cost_per_success: z
      .string()
      .nullable()
      .describe('cost over calls that succeeded (failures included in the cost)'),
    cost_per_1k_calls: z.string().nullable(),
    unpriced_calls: z.number(),
    unpriced_share: z.number().nullable(),
    not_billed_calls: z.number(),
  })
  .partial()
  .openapi('UsageRow');

const errorRow = z.object({ ...keyColumns, error_type: z.string(), errors: z.number() }).openapi('ErrorRow');

const topCallRow = z
  .object({
    span_id: z.string(),
    trace_id: z.string(),
    at: z.string(),
    template: z.string(),
    version: z.string(),
    model: z.string(),
    service: z.string(),
    cost: z.string(),
    currency: z.string(),
    input_tokens: z.number(),
    output_tokens: z.number(),
    duration_ms: z.number(),
  })
  .openapi('TopCall');

const rowsOf = <T extends z.ZodType>(row: T, name: string) =>
  z.object({ from: z.string(), to: z.string(), rows: z.array(row) }).openapi(name);

function figureRoute<T extends z.ZodType>(
  path: string,
  summary: string,
  row: T,
  name: string,
  extra: Record<string, z.ZodType> = {},
) {
  return createRoute({
    method: 'get',
    path,
    tags: ['telemetry'],
    security,
    summary,
    request: { query: sliceParams.extend(extra) },
    responses: {
      200: {
        content: {
          'application/json': { schema: rowsOf(row, name) },
          'text/csv': { schema: z.string().describe('the rows as CSV, with Accept: text/csv') },
        },
        description: `${summary} (each span counted once)`,
      },
      ...errorResponses,
    },
  });
}

const usage = figureRoute(
  '/usage',
  'Calls, success and error rates, latency quantiles, tokens by bucket, cost, unpriced share',
  usageRow,
  'Usage',
  {
    figures: z
      .string()
      .optional()
      .describe(
        `comma-separated figures to compute (default: all): ${Object.keys(USAGE_FIGURES).join(', ')}; a chart that shows two of them is answered faster than with all`,
      ),
    order_by: z
      .enum(Object.keys(USAGE_FIGURES) as [UsageFigure, ...UsageFigure[]])
      .optional()
      .describe('rows by this figure, largest first: with limit, a top N (the 20 users who cost most)'),
    limit: z.coerce.number().int().min(1).max(10_000).optional().describe('at most this many rows'),
  },
);

/** The figures a usage request names, or a 422 naming the unknown ones. */
function figuresOf(text: string | undefined): UsageFigure[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !Object.hasOwn(USAGE_FIGURES, n));
  if (names.length === 0 || unknown.length > 0)
    throw validationFailed('invalid query', [
      {
        field: 'figures',
        message: `${unknown.length ? `unknown figure ${unknown.map((u) => `'${u}'`).join(', ')}` : 'name at least one figure'}: use ${Object.keys(USAGE_FIGURES).join(', ')}`,
      },
    ]);
  return [...new Set(names)] as UsageFigure[];
}
const errors = figureRoute('/errors', 'Errors by error.type', errorRow, 'Errors');
const topCalls = figureRoute('/top-calls', 'The most expensive calls', topCallRow, 'TopCalls', {
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});

const comparison = z.object({
  difference: z.number(),
  p_value: z.number().nullable(),
  significant: z.boolean(),
  test: z.string(),
});

const abResponse = z
  .object({
    control: z.string().nullable(),
    alpha: z.number(),
    variants: z.array(
      z.object({
        variant: z.string(),
        calls: z.number(),
        errors: z.number(),
        error_rate: z.number(),
        error_rate_ci95: z.tuple([z.number(), z.number()]).describe('95% Wilson score interval'),
        p95_ms: z.number(),
        cost: z.string(),
        cost_per_call: z.string(),
        tokens_per_call: z.number(),
        vs_control: z
          .object({
            error_rate: comparison,
            cost_per_call: comparison.extend({
              difference: z.string().describe('exact decimal, like every cost'),
            }),
            tokens_per_call: comparison,
            p95_ms: z.object({ difference: z.number(), test: z.string() }),
          })
          .optional(),
      }),
    ),
  })
  .openapi('AbComparison');

const summary = createRoute({
  method: 'get',
  path: '/summary',
  tags: ['telemetry'],
  security,
  summary: 'Totals over a recent window: calls, successes, failures, average and P95 latency, cost',
  request: {
    query: z.object({
      window: z.string().default('1h').describe('30s, 15m, 1h, 7d …'),
      test_runs: z.enum(TEST_RUNS).default('exclude').describe('admin test runs: exclude, include or only'),
    }),
  },
  responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), 'The summary'), ...errorResponses },
});

const ab = createRoute({
  method: 'get',
  path: '/ab',
  tags: ['telemetry'],
  security,
  summary:
    'Compare the variants of an A/B split label: rates with intervals, and whether each difference is significant',
  request: {
    query: sliceParams.extend({
      template: z.string().min(1).describe('the template whose split is compared'),
      label: z.string().min(1).describe('the split label, e.g. production'),
      control: z.string().optional().describe('the variant (version) to compare with; default: the first'),
    }),
  },
  responses: {
    200: { content: { 'application/json': { schema: abResponse } }, description: 'Per variant' },
    ...errorResponses,
  },
});

const report = createRoute({
  method: 'get',
  path: '/reports/{name}',
  tags: ['telemetry'],
  security,
  summary:
    'The monitoring queries of the original specification, with its columns, order and windows (what `promptscope report` prints)',
  request: {
    params: z.object({ name: z.enum(REPORT_NAMES) }),
    query: z.object({
      window: z
        .string()
        .optional()
        .describe("30s, 15m, 1h, 7d …; default: the specification's (1h, 24h, 24h, 7d)"),
      to: instant.optional().describe('end of the window; default: now'),
      template: z.string().max(500).optional(),
      tenant: z.string().max(500).optional().describe('only this tenant\u2019s calls'),
      user: z.string().max(500).optional().describe('only this end user\u2019s calls'),
      session: z.string().max(500).optional().describe('only this session\u2019s calls'),
      test_runs: z
        .enum(TEST_RUNS)
        .default('exclude')
        .describe('admin test runs: left out (default), counted too, or only them'),
    }),
  },
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z
            .object({
              report: z.string(),
              title: z.string(),
              from: z.string(),
              to: z.string(),
              rows: z.array(z.record(z.string(), z.unknown())),
            })
            .openapi('Report'),
        },
        'text/csv': { schema: z.string() },
      },
      description: 'The report rows',
    },
    ...errorResponses,
  },
});

/**
 * Everything under /api/v1/analytics: the summary, the figures of `src/analytics/figures.ts` (usage, errors, top calls)
 * as JSON or CSV, the monitoring reports and the A/B comparison.
 */
export function analyticsRoutes(deps: ApiDeps) {
  /** Runs a figure's query and answers its rows as CSV (Accept: text/csv) or as JSON with `meta` around them. */
  const answer = async (c: Context<AppEnv>, query: Query, meta: Record<string, unknown>) => {
    const { rows, columns } = await runQueryWithColumns<Record<string, unknown>>(
      deps.clickhouse.client,
      query,
    );
    if (wantsCsv(c.req.header('accept'))) {
      return c.body(toCsv(rows, columns), 200, { 'content-type': 'text/csv; charset=utf-8' });
    }
    return c.json({ ...meta, rows }, 200);
  };
  const range = (from: number, to: number) => ({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  });
  return createRouter()
    .openapi(summary, async (c) => {
      const { window, test_runs } = c.req.valid('query');
      const seconds = parseWindow(window);
      if (seconds === undefined) {
        throw validationFailed('invalid window', [{ field: 'window', message: WINDOW_EXPECTED }]);
      }
      return c.json({ ...(await summarise(deps.clickhouse.client, seconds, Date.now(), test_runs)) }, 200);
    })
    .openapi(usage, async (c) => {
      const query = c.req.valid('query') as SliceParams & {
        figures?: string;
        order_by?: UsageFigure;
        limit?: number;
      };
      const slice = sliceOf(query, c.req.query());
      const sql = usageQuery(slice, figuresOf(query.figures), {
        orderBy: query.order_by,
        limit: query.limit,
      });
      return answer(c, sql, range(slice.from, slice.to)) as never;
    })
    .openapi(errors, async (c) => {
      const slice = sliceOf(c.req.valid('query') as SliceParams, c.req.query());
      return answer(c, errorsQuery(slice), range(slice.from, slice.to)) as never;
    })
    .openapi(topCalls, async (c) => {
      const query = c.req.valid('query') as SliceParams & { limit: number };
      const slice = sliceOf(query, c.req.query());
      return answer(c, topCallsQuery(slice, query.limit), range(slice.from, slice.to)) as never;
    })
    .openapi(report, async (c) => {
      const { name } = c.req.valid('param');
      const query = c.req.valid('query');
      const windowSeconds =
        query.window === undefined ? REPORTS[name].windowSeconds : parseWindow(query.window);
      if (windowSeconds === undefined) {
        throw validationFailed('invalid query', [{ field: 'window', message: WINDOW_EXPECTED }]);
      }
      const to = query.to ?? Date.now();
      const sql = reportQuery(name, {
        to,
        windowSeconds,
        template: query.template,
        testRuns: query.test_runs,
        who: { tenant: query.tenant, user: query.user, session: query.session },
      });
      return answer(c, sql, {
        report: name,
        title: REPORTS[name].title,
        ...range(to - windowSeconds * 1000, to),
      }) as never;
    })
    .openapi(ab, async (c) => {
      const query = c.req.valid('query') as SliceParams & { control?: string };
      return c.json(
        await compareVariants(deps.clickhouse.client, sliceOf(query, c.req.query()), query.control),
        200,
      );
    });
}
