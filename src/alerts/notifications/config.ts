import fs from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from '../../platform/duration.ts';
import { type Matcher, parseMatcher, parseMatchers } from '../labels.ts';
import { notificationFileSchema, type RouteFile } from './schema.ts';
import { standardWebhookSecretProblem } from './standard-webhooks.ts';
import { parsePeriod, type TimeInterval } from './time-intervals.ts';

/**
 * Where alerts go, shaped like Alertmanager's configuration: a routing tree (matchers, group_by, group_wait,
 * group_interval, repeat_interval, continue) and receivers with integrations. Every URL, routing key and signing
 * secret is read from an environment variable the file names (`url_env`, …), never written in the file: an
 * integration whose variable is unset is off, and says so at start.
 */

export type IntegrationKind = 'webhook' | 'slack' | 'pagerduty';

export interface Integration {
  /** `<receiver>/<kind>[<n>]`: its notifications are delivered in order. */
  id: string;
  kind: IntegrationKind;
  /** Secret: never logged, never in an API response. */
  url: string;
  /** Standard Webhooks signing secret (webhook), or the PagerDuty routing key. */
  secret: string | undefined;
  sendResolved: boolean;
}

export interface Receiver {
  name: string;
  integrations: Integration[];
  /** Integrations configured in the file whose environment variable is unset (named, for the start-up log). */
  off: string[];
}

export interface RouteSettings {
  receiver: string;
  groupBy: string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** Names of time intervals when this route sends nothing (not inherited, as in Alertmanager). */
  muteTimeIntervals?: string[];
  /** Names of time intervals outside which this route sends nothing. */
  activeTimeIntervals?: string[];
}

export interface Route extends RouteSettings {
  matchers: Matcher[];
  continue: boolean;
  routes: Route[];
}

export interface InhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

/** An Alertmanager that gets every active alert, as Prometheus sends them. */
export interface AlertmanagerTarget {
  /** Base URL, its route prefix kept (`http://am:9093/am`). Secret-ish: never logged. */
  url: string;
  resendDelayMs: number;
}

export interface NotificationConfig {
  route: Route;
  receivers: Map<string, Receiver>;
  inhibitRules: InhibitRule[];
  timeIntervals: Map<string, TimeInterval>;
  alertmanagers: AlertmanagerTarget[];
  /** Alertmanagers in the file whose variable is unset (for the start-up log). */
  alertmanagersOff: string[];
}

export class NotificationConfigError extends Error {
  readonly file: string;
  /** Each problem as `path: message`. */
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
    this.name = 'NotificationConfigError';
    this.file = file;
    this.problems = problems;
  }
}

const ROOT_DEFAULTS = { group_wait: '30s', group_interval: '5m', repeat_interval: '4h' };
const INTEGRATIONS = {
  webhook: { key: 'webhook_configs', url: 'url_env', secret: 'secret_env' },
  slack: { key: 'slack_configs', url: 'url_env', secret: undefined },
  pagerduty: { key: 'pagerduty_configs', url: 'url_env', secret: 'routing_key_env' },
} as const;
const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
const DEFAULT_RESEND_DELAY_MS = 60_000;

/** Keys Alertmanager has that promptscope does not implement, and what to do instead. */
const NOT_IMPLEMENTED: Record<string, string> = {
  global:
    'promptscope has no global settings: URLs and secrets come from the *_env variables each integration names',
  templates: "notification templates are not supported: payloads follow each integration's own format",
  alertmanager_configs:
    'Alertmanagers are not receivers: list them under the top-level alertmanagers (every active alert is sent to each, as Prometheus does)',
};

export async function loadNotificationConfig(
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<NotificationConfig> {
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotificationConfigError(file, ['no such file']);
    throw error;
  });
  return parseNotificationConfig(file, text, env);
}

/** `route.routes[0].matchers` from a zod issue path. */
function pathText(path: readonly PropertyKey[]): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(top)'
  );
}

function schemaProblems(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    const at = pathText(issue.path);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => {
        const hint = Object.hasOwn(NOT_IMPLEMENTED, key) ? NOT_IMPLEMENTED[key] : undefined;
        return `${at === '(top)' ? key : `${at}.${key}`}: unknown key${hint ? ` (${hint})` : ''}`;
      });
    return [`${at}: ${issue.message}`];
  });
}

export function parseNotificationConfig(
  file: string,
  text: string,
  env: NodeJS.ProcessEnv,
): NotificationConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length)
    throw new NotificationConfigError(
      file,
      doc.errors.map((e) => e.message),
    );
  const parsed = notificationFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new NotificationConfigError(file, schemaProblems(parsed.error));
  const raw = parsed.data;
  const problems: string[] = [];
  const receivers = new Map<string, Receiver>();
  for (const [i, r] of raw.receivers.entries()) {
    if (receivers.has(r.name)) problems.push(`receivers[${i}].name: '${r.name}' is defined twice`);
    const receiver: Receiver = { name: r.name, integrations: [], off: [] };
    for (const [kind, spec] of Object.entries(INTEGRATIONS) as [
      IntegrationKind,
      (typeof INTEGRATIONS)[IntegrationKind],
    ][]) {
      const configs = (r[spec.key] ?? []) as Record<string, string | boolean | undefined>[];
      for (const [n, c] of configs.entries()) {
        const where = `receivers[${i}].${spec.key}[${n}]`;
        const id = `${r.name}/${kind}${configs.length > 1 ? `[${n}]` : ''}`;
        const urlVar = c[spec.url] as string | undefined;
        const secretVar = spec.secret ? (c[spec.secret] as string | undefined) : undefined;
        // PagerDuty's events endpoint is fixed; url_env may point it elsewhere (a proxy, a test double).
        const url =
          (urlVar ? env[urlVar] : undefined) || (kind === 'pagerduty' ? PAGERDUTY_EVENTS_URL : undefined);
        const secret = secretVar ? env[secretVar] : undefined;
        if (!url || (kind === 'pagerduty' && !secret)) {
          const unset = (kind === 'pagerduty' ? [secretVar] : [urlVar]).filter((v) => v && !env[v]);
          receiver.off.push(`${id} (${unset.join(', ')} unset)`);
          continue;
        }
        if (!isHttpUrl(url)) {
          problems.push(`${where}: the environment variable ${String(urlVar)} does not hold an http(s) URL`);
          continue;
        }
        if (kind === 'webhook' && secret !== undefined) {
          const bad = standardWebhookSecretProblem(secret);
          if (bad) {
            problems.push(`${where}.secret_env: ${secretVar} ${bad}`);
            continue;
          }
        }
        receiver.integrations.push({ id, kind, url, secret, sendResolved: c.send_resolved !== false });
      }
    }
    receivers.set(r.name, receiver);
  }
  const timeIntervals = new Map<string, TimeInterval>();
  for (const [key, list] of [
    ['time_intervals', raw.time_intervals],
    ['mute_time_intervals', raw.mute_time_intervals],
  ] as const) {
    for (const [i, t] of (list ?? []).entries()) {
      if (timeIntervals.has(t.name)) problems.push(`${key}[${i}].name: '${t.name}' is defined twice`);
      timeIntervals.set(t.name, {
        name: t.name,
        periods: t.time_intervals.map((p, j) =>
          parsePeriod(p, problems, `${key}[${i}].time_intervals[${j}]`),
        ),
      });
    }
  }
  const route = parseRoute(raw.route, undefined, 'route', { receivers, timeIntervals, problems });
  if (route.matchers.length) problems.push('route.matchers: the root route matches every alert and has none');
  if (raw.route.mute_time_intervals?.length || raw.route.active_time_intervals?.length)
    problems.push('route: the root route cannot be muted (put mute_time_intervals on a child route)');
  const inhibitRules = (raw.inhibit_rules ?? []).map((r, i) => ({
    source: matchersOf(
      r.source_matchers,
      r.source_match,
      r.source_match_re,
      (f) => `inhibit_rules[${i}].source_${f}`,
      problems,
    ),
    target: matchersOf(
      r.target_matchers,
      r.target_match,
      r.target_match_re,
      (f) => `inhibit_rules[${i}].target_${f}`,
      problems,
    ),
    equal: r.equal ?? [],
  }));
  const alertmanagers: AlertmanagerTarget[] = [];
  const alertmanagersOff: string[] = [];
  for (const [i, am] of (raw.alertmanagers ?? []).entries()) {
    const url = env[am.url_env];
    if (!url) {
      alertmanagersOff.push(`alertmanagers[${i}] (${am.url_env} unset)`);
      continue;
    }
    if (!isHttpUrl(url)) {
      problems.push(`alertmanagers[${i}].url_env: ${am.url_env} does not hold an http(s) URL`);
      continue;
    }
    alertmanagers.push({
      url,
      resendDelayMs: am.resend_delay ? parseDuration(am.resend_delay)! : DEFAULT_RESEND_DELAY_MS,
    });
  }
  if (problems.length) throw new NotificationConfigError(file, problems);
  return { route, receivers, inhibitRules, timeIntervals, alertmanagers, alertmanagersOff };
}

function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Matchers from the three ways Alertmanager accepts them: `matchers` strings, `match` and `match_re` maps. */
function matchersOf(
  list: string[] | undefined,
  match: Record<string, string> | undefined,
  matchRe: Record<string, string> | undefined,
  at: (field: 'matchers' | 'match_re') => string,
  problems: string[],
): Matcher[] {
  const out: Matcher[] = [];
  for (const [i, text] of (list ?? []).entries()) {
    const parsed = parseMatchers(text);
    if ('error' in parsed) problems.push(`${at('matchers')}[${i}]: ${parsed.error}`);
    else out.push(...parsed);
  }
  for (const [name, value] of Object.entries(match ?? {})) out.push({ name, op: '=', value });
  for (const [name, value] of Object.entries(matchRe ?? {})) {
    const parsed = parseMatcher(`${name}=~${JSON.stringify(value)}`);
    if ('error' in parsed) problems.push(`${at('match_re')}.${name}: ${parsed.error}`);
    else out.push(parsed);
  }
  return out;
}

function parseRoute(
  r: RouteFile,
  parent: RouteSettings | undefined,
  where: string,
  ctx: { receivers: Map<string, Receiver>; timeIntervals: Map<string, TimeInterval>; problems: string[] },
): Route {
  const { problems } = ctx;
  const duration = (field: keyof typeof ROOT_DEFAULTS, inherited: number | undefined) => {
    const v = r[field];
    if (v === undefined) return inherited ?? parseDuration(ROOT_DEFAULTS[field])!;
    return parseDuration(v)!;
  };
  const receiver = r.receiver ?? parent?.receiver;
  if (!receiver) problems.push(`${where}.receiver: which receiver gets these alerts`);
  else if (!ctx.receivers.has(receiver)) problems.push(`${where}.receiver: no receiver named '${receiver}'`);
  const groupBy: RouteSettings['groupBy'] =
    r.group_by === undefined
      ? (parent?.groupBy ?? ['alertname'])
      : r.group_by.includes('...')
        ? 'all'
        : r.group_by;
  const intervals = (names: string[] | undefined, field: string) => {
    for (const name of names ?? [])
      if (!ctx.timeIntervals.has(name)) problems.push(`${where}.${field}: no time interval named '${name}'`);
    return names ?? [];
  };
  const settings: RouteSettings = {
    receiver: receiver ?? '',
    groupBy,
    groupWaitMs: duration('group_wait', parent?.groupWaitMs),
    groupIntervalMs: duration('group_interval', parent?.groupIntervalMs),
    repeatIntervalMs: duration('repeat_interval', parent?.repeatIntervalMs),
    muteTimeIntervals: intervals(r.mute_time_intervals, 'mute_time_intervals'),
    activeTimeIntervals: intervals(r.active_time_intervals, 'active_time_intervals'),
  };
  return {
    ...settings,
    matchers: matchersOf(r.matchers, r.match, r.match_re, (f) => `${where}.${f}`, problems),
    continue: r.continue === true,
    routes: (r.routes ?? []).map((child, i) => parseRoute(child, settings, `${where}.routes[${i}]`, ctx)),
  };
}
