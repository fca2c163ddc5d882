import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type OTLP_AUTH_MODES, readEnvironment } from './environment.ts';
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
  /** A ClickHouse cluster's name: the clustered schema (replicated shard tables, Distributed tables, ON CLUSTER). */
  clickhouseCluster: string | undefined;
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

export type OtlpAuthMode = (typeof OTLP_AUTH_MODES)[number];

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
  const read = readEnvironment(env);
  if (!read.ok) throw new ConfigError(read.problems);
  const e = read.values;
  const dataDir = path.resolve(cwd, e.PROMPTSCOPE_DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    clickhouseUrl: withCredentials(e.CLICKHOUSE_URL, e.CLICKHOUSE_USER, e.CLICKHOUSE_PASSWORD),
    clickhouseDatabase: e.CLICKHOUSE_DATABASE,
    clickhouseCluster: e.PROMPTSCOPE_CLICKHOUSE_CLUSTER,
    dataDir,
    logLevel: e.LOG_LEVEL,
    embeddedPostgresPort: e.PROMPTSCOPE_EMBEDDED_PG_PORT,
    maxBodyBytes: e.PROMPTSCOPE_MAX_BODY_BYTES,
    bootstrapKeyFile: path.join(dataDir, 'admin-key'),
    otlpPort: e.PROMPTSCOPE_OTLP_PORT,
    otlpHost: e.PROMPTSCOPE_OTLP_HOST ?? e.HOST,
    otlpAuth: e.PROMPTSCOPE_OTLP_AUTH,
    otlpMaxBodyBytes: e.PROMPTSCOPE_OTLP_MAX_BODY_BYTES,
    spoolMaxBytes: e.PROMPTSCOPE_SPOOL_MAX_BYTES,
    otlpMaxInFlightBytes: e.PROMPTSCOPE_OTLP_MAX_INFLIGHT_BYTES,
    otlpHeadersTimeoutSeconds: e.PROMPTSCOPE_OTLP_HEADERS_TIMEOUT_SECONDS,
    otlpBodyIdleTimeoutSeconds: e.PROMPTSCOPE_OTLP_BODY_IDLE_TIMEOUT_SECONDS,
    otlpRequestTimeoutSeconds: e.PROMPTSCOPE_OTLP_REQUEST_TIMEOUT_SECONDS,
    retention: {
      traces: e.PROMPTSCOPE_TRACES_TTL_DAYS,
      calls: e.PROMPTSCOPE_LLM_CALLS_TTL_DAYS,
      // The hourly rollup keeps what llm_calls keeps unless told otherwise (longer: figures outlive the calls).
      rollup: e.PROMPTSCOPE_ROLLUP_TTL_DAYS ?? e.PROMPTSCOPE_LLM_CALLS_TTL_DAYS,
    },
    pricesFile: e.PROMPTSCOPE_PRICES_FILE,
    models: {
      geminiApiKey: e.GEMINI_API_KEY ?? e.GOOGLE_API_KEY,
      geminiBaseUrl: e.PROMPTSCOPE_GEMINI_BASE_URL,
      vertexProject: e.GOOGLE_CLOUD_PROJECT,
      vertexLocation: e.GOOGLE_CLOUD_LOCATION,
    },
    alerts: {
      rulesPath: path.resolve(cwd, e.PROMPTSCOPE_ALERT_RULES ?? SHIPPED_ALERTS.rules),
      notificationsFile: path.resolve(cwd, e.PROMPTSCOPE_ALERT_NOTIFICATIONS ?? SHIPPED_ALERTS.notifications),
      schedulerPort: e.PROMPTSCOPE_SCHEDULER_PORT,
      collectorMetricsUrls: e.PROMPTSCOPE_COLLECTOR_METRICS_URLS,
      externalUrl: e.PROMPTSCOPE_EXTERNAL_URL,
    },
  };
}
