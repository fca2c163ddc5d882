import { z } from 'zod';

/**
 * Every environment variable promptscope's server reads, as one zod schema: its type, range and default. An unset or
 * empty variable takes the default. `loadConfig` turns the parsed values into the Config the code uses.
 */

/** Variables whose values never appear in an error message (they may carry passwords). */
const SECRET_VALUED = new Set([
  'DATABASE_URL',
  'CLICKHOUSE_URL',
  'PROMPTSCOPE_GEMINI_BASE_URL',
  'CLICKHOUSE_PASSWORD',
]);

const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

/** A whole number in [min, max], or undefined when unset. */
const wholeOrUnset = (min: number, max: number) => {
  const expected = `expected a whole number from ${min} to ${max}`;
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^-?\d+$/, { error: expected })
      .transform(Number)
      .pipe(z.number().int().min(min, { error: expected }).max(max, { error: expected }))
      .optional(),
  );
};

const whole = (fallback: number, min: number, max: number) =>
  wholeOrUnset(min, max).transform((v) => v ?? fallback);

const text = (fallback: string) => z.preprocess(unsetIfEmpty, z.string().default(fallback));
const optionalText = () => z.preprocess(unsetIfEmpty, z.string().optional());

const oneOf = <const T extends readonly [string, ...string[]]>(choices: T, fallback: T[number]) =>
  z.preprocess(
    unsetIfEmpty,
    z.enum(choices, { error: `expected one of ${choices.join(', ')}` }).default(fallback as never),
  ) as unknown as z.ZodType<T[number]>;

const url = (protocols: string[]) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .superRefine((raw, ctx) => {
        let parsed: URL;
        try {
          parsed = new URL(raw);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'not a valid URL' });
          return;
        }
        if (!protocols.includes(parsed.protocol))
          ctx.addIssue({
            code: 'custom',
            message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
          });
      })
      .optional(),
  );

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const OTLP_AUTH_MODES = ['auto', 'required', 'off'] as const;
const DAYS = [0, 100_000] as const;

export const ENVIRONMENT = z.object({
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info').describe('log level (JSON lines on stderr)'),
  PORT: whole(8080, 0, 65535).describe('admin/read API port (0 picks a free one)'),
  HOST: text('127.0.0.1').describe('address the API listens on'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).describe('external Postgres; unset: embedded'),
  CLICKHOUSE_URL: url(['http:', 'https:']).describe('external ClickHouse; unset: embedded'),
  CLICKHOUSE_DATABASE: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected letters, digits and _' })
        .default('default'),
    )
    .describe('ClickHouse database'),
  PROMPTSCOPE_CLICKHOUSE_CLUSTER: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a cluster name: letters, digits, _ . -' })
        .optional(),
    )
    .describe('ClickHouse cluster (remote_servers) for the clustered schema; unset: one node'),
  CLICKHOUSE_USER: optionalText().describe('user for a CLICKHOUSE_URL without one'),
  CLICKHOUSE_PASSWORD: optionalText().describe('password for a CLICKHOUSE_URL without one'),
  PROMPTSCOPE_DATA_DIR: text('.promptscope').describe("embedded stores' data, first admin key"),
  PROMPTSCOPE_EMBEDDED_PG_PORT: whole(54329, 1, 65535).describe('embedded Postgres port'),
  PROMPTSCOPE_MAX_BODY_BYTES: whole(1024 * 1024, 1024, 64 * 1024 * 1024).describe('largest API request body'),
  PROMPTSCOPE_OTLP_PORT: whole(4318, 0, 65535).describe("the collector's OTLP/HTTP port"),
  PROMPTSCOPE_OTLP_HOST: optionalText().describe("the collector's address (default: HOST)"),
  PROMPTSCOPE_OTLP_AUTH: oneOf(OTLP_AUTH_MODES, 'auto').describe('whether the collector asks for a key'),
  PROMPTSCOPE_OTLP_MAX_BODY_BYTES: whole(20 * 1024 * 1024, 1024, 1024 * 1024 * 1024).describe(
    'largest OTLP request body',
  ),
  PROMPTSCOPE_SPOOL_MAX_BYTES: whole(1024 * 1024 * 1024, 1024 * 1024, Number.MAX_SAFE_INTEGER).describe(
    'unsent spool bytes before 503',
  ),
  PROMPTSCOPE_OTLP_MAX_INFLIGHT_BYTES: whole(64 * 1024 * 1024, 1024 * 1024, Number.MAX_SAFE_INTEGER).describe(
    'request bytes held at once before 429',
  ),
  PROMPTSCOPE_OTLP_HEADERS_TIMEOUT_SECONDS: whole(10, 1, 3600).describe('seconds to send request headers'),
  PROMPTSCOPE_OTLP_BODY_IDLE_TIMEOUT_SECONDS: whole(10, 1, 3600).describe('seconds a body may send nothing'),
  PROMPTSCOPE_OTLP_REQUEST_TIMEOUT_SECONDS: whole(60, 1, 3600).describe('seconds a whole request may take'),
  PROMPTSCOPE_TRACES_TTL_DAYS: whole(0, ...DAYS).describe('days otel_traces keeps rows (0: forever)'),
  PROMPTSCOPE_LLM_CALLS_TTL_DAYS: whole(0, ...DAYS).describe('days llm_calls keeps rows (0: forever)'),
  PROMPTSCOPE_ROLLUP_TTL_DAYS: wholeOrUnset(...DAYS).describe(
    'days the hourly rollup keeps (default: as llm_calls)',
  ),
  PROMPTSCOPE_PRICES_FILE: optionalText().describe("a deployment's own prices"),
  GEMINI_API_KEY: optionalText().describe('Gemini API key for test runs'),
  GOOGLE_API_KEY: optionalText().describe('Gemini API key, the name Google SDKs also read'),
  PROMPTSCOPE_GEMINI_BASE_URL: url(['http:', 'https:']).describe('another Gemini API endpoint'),
  GOOGLE_CLOUD_PROJECT: optionalText().describe('Vertex AI project for test runs'),
  GOOGLE_CLOUD_LOCATION: text('us-central1').describe('Vertex AI location'),
  PROMPTSCOPE_ALERT_RULES: optionalText().describe('alert rule files (a folder or one file)'),
  PROMPTSCOPE_ALERT_NOTIFICATIONS: optionalText().describe('routes and receivers'),
  PROMPTSCOPE_SCHEDULER_PORT: whole(4319, 0, 65535).describe('/metrics and /health of the scheduler alone'),
  PROMPTSCOPE_COLLECTOR_METRICS_URLS: optionalText()
    .transform((v) =>
      v
        ?.split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .describe("comma-separated collectors' /metrics"),
  PROMPTSCOPE_EXTERNAL_URL: url(['http:', 'https:']).describe('the address on-call reaches'),
});

export type Environment = z.infer<typeof ENVIRONMENT>;

/** The environment parsed, or one line per bad variable: `NAME="value": what is wanted` (secrets without value). */
export function readEnvironment(
  env: NodeJS.ProcessEnv,
): { ok: true; values: Environment } | { ok: false; problems: string[] } {
  const known: Record<string, string | undefined> = {};
  for (const name of Object.keys(ENVIRONMENT.shape)) known[name] = env[name];
  const result = ENVIRONMENT.safeParse(known);
  if (result.success) return { ok: true, values: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const shown = SECRET_VALUED.has(name) ? name : `${name}=${JSON.stringify(env[name])}`;
      return `${shown}: ${issue.message}`;
    }),
  };
}
