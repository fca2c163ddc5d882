import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from './platform/log.ts';
import type { Retention } from './store/retention.ts';

export interface Config {
  /** Admin/read API port. */
  port: number;
  host: string;
  /** External Postgres; undefined = start the embedded server. */
  databaseUrl: string | undefined;
  /** External ClickHouse (http(s)://user:pass@host:8123/db); undefined = in-process chDB. */
  clickhouseUrl: string | undefined;
  clickhouseDatabase: string;
  dataDir: string;
  logLevel: LogLevel;
  /** Port the embedded Postgres listens on (loopback only); another free port is used on a clash. */
  embeddedPostgresPort: number;
  /** Largest accepted API request body. */
  maxBodyBytes: number;
  /** Where the first-start admin key is written (mode 0600). */
  bootstrapKeyFile: string;
  /** OTLP/HTTP receiver port (the collector). */
  otlpPort: number;
  /** The collector's own address (default: HOST), so it can be exposed without the admin API. */
  otlpHost: string;
  /** Whether the collector asks for a telemetry:write key (`auto`: when it listens beyond loopback). */
  otlpAuth: OtlpAuthMode;
  /** Largest OTLP request body, before and after decompression. */
  otlpMaxBodyBytes: number;
  /** Unsent spool bytes past which the collector answers 503 + Retry-After. */
  spoolMaxBytes: number;
  /** Request bytes held at once (received, inflated, encoded) past which the collector answers 429. */
  otlpMaxInFlightBytes: number;
  /** Seconds a client has to send its request headers (then 503 + Retry-After). */
  otlpHeadersTimeoutSeconds: number;
  /** Seconds a request body may send nothing (then 503 + Retry-After). */
  otlpBodyIdleTimeoutSeconds: number;
  /** Seconds a whole request may take to arrive (then 503 + Retry-After). */
  otlpRequestTimeoutSeconds: number;
  /** Days each telemetry table keeps rows (0 = forever). */
  retention: Retention;
  /** A deployment's own prices (catalog JSON), used over the shipped ones. */
  pricesFile: string | undefined;
  /** Credentials for executing test renders against real models (POST /api/v1/admin/prompts/test, execute). */
  models: ModelAccess;
  alerts: AlertSettings;
}

export type OtlpAuthMode = 'auto' | 'required' | 'off';
const OTLP_AUTH_MODES: readonly OtlpAuthMode[] = ['auto', 'required', 'off'];

/** `auto` asks for a key unless the collector listens on loopback only (so the two commands keep working). */
export function otlpAuthRequired(config: Pick<Config, 'otlpAuth' | 'otlpHost'>): boolean {
  if (config.otlpAuth !== 'auto') return config.otlpAuth === 'required';
  return !isLoopback(config.otlpHost);
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface AlertSettings {
  /** Rule files (a folder of YAML files, or one file). */
  rulesPath: string;
  /** Routes and receivers; receivers' URLs and secrets are read from the environment variables it names. */
  notificationsFile: string;
  /** Where `promptscope scheduler` (run alone) serves /metrics. */
  schedulerPort: number;
  /** Collectors' /metrics pages for the collector rules; by default the collector this process runs. */
  collectorMetricsUrls: string[] | undefined;
  /** This deployment's address as on-call reaches it, for links in notifications. */
  externalUrl: string | undefined;
}

export interface ModelAccess {
  geminiApiKey: string | undefined;
  /** Another Gemini API endpoint, e.g. the local wire-format server. */
  geminiBaseUrl: string | undefined;
  vertexProject: string | undefined;
  vertexLocation: string;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The rules and notification settings that come with promptscope. */
export const SHIPPED_ALERTS = {
  rules: fileURLToPath(new URL('../alerts/rules', import.meta.url)),
  notifications: fileURLToPath(new URL('../alerts/notifications.yaml', import.meta.url)),
};

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/**
 * CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, the names the official collector's config and the Grafana provisioning use
 * too, fill in a CLICKHOUSE_URL that carries no credentials of its own.
 */
function withCredentials(url: string | undefined, user?: string, password?: string): string | undefined {
  if (!url || (!user && !password)) return url;
  try {
    const u = new URL(url);
    if (u.username || u.password) return url;
    u.username = user ?? 'default';
    u.password = password ?? '';
    return u.toString();
  } catch {
    return url; // reported by the URL check
  }
}

/** Reads every setting from the environment, applying defaults; throws one ConfigError listing every bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const str = (name: string, fallback: string) => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const optional = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = optional(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const callsTtlDays = int('PROMPTSCOPE_LLM_CALLS_TTL_DAYS', 0, 0, 100_000);
  const url = (name: string, protocols: string[]) => {
    const raw = optional(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) {
        problems.push(`${name}: expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      }
    } catch {
      problems.push(`${name}: not a valid URL`);
    }
    return raw;
  };

  const logLevel = str('LOG_LEVEL', 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL=${JSON.stringify(logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const otlpAuth = str('PROMPTSCOPE_OTLP_AUTH', 'auto') as OtlpAuthMode;
  if (!OTLP_AUTH_MODES.includes(otlpAuth)) {
    problems.push(
      `PROMPTSCOPE_OTLP_AUTH=${JSON.stringify(otlpAuth)}: expected one of ${OTLP_AUTH_MODES.join(', ')}`,
    );
  }
  const host = str('HOST', '127.0.0.1');
  const dataDir = path.resolve(cwd, str('PROMPTSCOPE_DATA_DIR', '.promptscope'));
  const clickhouseDatabase = str('CLICKHOUSE_DATABASE', 'default');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(clickhouseDatabase)) {
    problems.push(
      `CLICKHOUSE_DATABASE=${JSON.stringify(clickhouseDatabase)}: expected letters, digits and _`,
    );
  }

  const config: Config = {
    port: int('PORT', 8080, 0, 65535),
    host,
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    clickhouseUrl: withCredentials(
      url('CLICKHOUSE_URL', ['http:', 'https:']),
      optional('CLICKHOUSE_USER'),
      optional('CLICKHOUSE_PASSWORD'),
    ),
    clickhouseDatabase,
    dataDir,
    logLevel,
    embeddedPostgresPort: int('PROMPTSCOPE_EMBEDDED_PG_PORT', 54329, 1, 65535),
    maxBodyBytes: int('PROMPTSCOPE_MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    bootstrapKeyFile: path.join(dataDir, 'admin-key'),
    otlpPort: int('PROMPTSCOPE_OTLP_PORT', 4318, 0, 65535),
    otlpHost: str('PROMPTSCOPE_OTLP_HOST', host),
    otlpAuth,
    otlpMaxBodyBytes: int('PROMPTSCOPE_OTLP_MAX_BODY_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    spoolMaxBytes: int(
      'PROMPTSCOPE_SPOOL_MAX_BYTES',
      1024 * 1024 * 1024,
      1024 * 1024,
      Number.MAX_SAFE_INTEGER,
    ),
    otlpMaxInFlightBytes: int(
      'PROMPTSCOPE_OTLP_MAX_INFLIGHT_BYTES',
      64 * 1024 * 1024,
      1024 * 1024,
      Number.MAX_SAFE_INTEGER,
    ),
    otlpHeadersTimeoutSeconds: int('PROMPTSCOPE_OTLP_HEADERS_TIMEOUT_SECONDS', 10, 1, 3600),
    otlpBodyIdleTimeoutSeconds: int('PROMPTSCOPE_OTLP_BODY_IDLE_TIMEOUT_SECONDS', 10, 1, 3600),
    otlpRequestTimeoutSeconds: int('PROMPTSCOPE_OTLP_REQUEST_TIMEOUT_SECONDS', 60, 1, 3600),
    retention: {
      traces: int('PROMPTSCOPE_TRACES_TTL_DAYS', 0, 0, 100_000),
      calls: callsTtlDays,
      // The hourly rollup keeps what llm_calls keeps unless told otherwise (longer: figures outlive the calls).
      rollup: int('PROMPTSCOPE_ROLLUP_TTL_DAYS', callsTtlDays, 0, 100_000),
    },
    pricesFile: optional('PROMPTSCOPE_PRICES_FILE'),
    models: {
      geminiApiKey: optional('GEMINI_API_KEY') ?? optional('GOOGLE_API_KEY'),
      geminiBaseUrl: url('PROMPTSCOPE_GEMINI_BASE_URL', ['http:', 'https:']),
      vertexProject: optional('GOOGLE_CLOUD_PROJECT'),
      vertexLocation: str('GOOGLE_CLOUD_LOCATION', 'us-central1'),
    },
    alerts: {
      rulesPath: path.resolve(cwd, str('PROMPTSCOPE_ALERT_RULES', SHIPPED_ALERTS.rules)),
      notificationsFile: path.resolve(
        cwd,
        str('PROMPTSCOPE_ALERT_NOTIFICATIONS', SHIPPED_ALERTS.notifications),
      ),
      schedulerPort: int('PROMPTSCOPE_SCHEDULER_PORT', 4319, 0, 65535),
      collectorMetricsUrls: optional('PROMPTSCOPE_COLLECTOR_METRICS_URLS')
        ?.split(',')
        .map((u) => u.trim())
        .filter(Boolean),
      externalUrl: url('PROMPTSCOPE_EXTERNAL_URL', ['http:', 'https:']),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
