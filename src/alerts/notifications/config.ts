import fs from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { parseDuration } from '../duration.ts';
import { type Matcher, parseMatcher } from '../labels.ts';

/**
 * Where alerts go, shaped like Alertmanager's configuration: a routing tree (matchers, group_by, group_wait,
 * group_interval, repeat_interval, continue) and receivers with integrations. Every URL, routing key and signing
 * secret is read from an environment variable the file names (`url_env`, …), never written in the file: an
 * integration whose variable is unset is off, and says so at start.
 */

export type IntegrationKind = 'webhook' | 'slack' | 'pagerduty' | 'alertmanager';

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
}

export interface Route extends RouteSettings {
  matchers: Matcher[];
  continue: boolean;
  routes: Route[];
}

export interface NotificationConfig {
  route: Route;
  receivers: Map<string, Receiver>;
}

export class NotificationConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
    this.name = 'NotificationConfigError';
  }
}

const ROOT_DEFAULTS = { group_wait: '30s', group_interval: '5m', repeat_interval: '4h' };
const INTEGRATIONS: Record<
  IntegrationKind,
  { url: string; secret?: string; sendResolved: boolean; secretRequired?: boolean }
> = {
  webhook: { url: 'url_env', secret: 'secret_env', sendResolved: true },
  slack: { url: 'url_env', sendResolved: true },
  pagerduty: { url: 'url_env', secret: 'routing_key_env', sendResolved: true, secretRequired: true },
  alertmanager: { url: 'url_env', sendResolved: true },
};
const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

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

export function parseNotificationConfig(
  file: string,
  text: string,
  env: NodeJS.ProcessEnv,
): NotificationConfig {
  const problems: string[] = [];
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length)
    throw new NotificationConfigError(
      file,
      doc.errors.map((e) => e.message),
    );
  const root = doc.toJS() as Record<string, unknown> | null;
  if (!root || typeof root !== 'object')
    throw new NotificationConfigError(file, ['expected route and receivers']);
  const receivers = new Map<string, Receiver>();
  const list: Record<string, unknown>[] = Array.isArray(root.receivers) ? root.receivers : [];
  for (const [i, raw] of list.entries()) {
    const name = typeof raw?.name === 'string' ? raw.name : '';
    if (!name) {
      problems.push(`receivers[${i}].name: a receiver needs a name`);
      continue;
    }
    if (receivers.has(name)) problems.push(`receivers[${i}].name: '${name}' is defined twice`);
    const receiver: Receiver = { name, integrations: [], off: [] };
    for (const key of Object.keys(raw)) {
      if (key === 'name') continue;
      const kind = key.replace(/_configs$/, '') as IntegrationKind;
      const spec = INTEGRATIONS[kind];
      if (!key.endsWith('_configs') || !spec) {
        problems.push(
          `receiver '${name}': ${key}: unknown (webhook_configs, slack_configs, pagerduty_configs, alertmanager_configs)`,
        );
        continue;
      }
      const configs = raw[key];
      if (!Array.isArray(configs)) {
        problems.push(`receiver '${name}': ${key}: a list`);
        continue;
      }
      for (const [n, c] of (configs as Record<string, unknown>[]).entries()) {
        const where = `receiver '${name}': ${key}[${n}]`;
        const id = `${name}/${kind}${configs.length > 1 ? `[${n}]` : ''}`;
        const urlVar = c?.[spec.url];
        const secretVar = spec.secret ? c?.[spec.secret] : undefined;
        if (kind !== 'pagerduty' && typeof urlVar !== 'string') {
          problems.push(`${where}.${spec.url}: the name of the environment variable holding the URL`);
          continue;
        }
        if (spec.secretRequired && typeof secretVar !== 'string') {
          problems.push(`${where}.${spec.secret}: the name of the environment variable holding it`);
          continue;
        }
        const sendResolved = c.send_resolved ?? spec.sendResolved;
        if (typeof sendResolved !== 'boolean') problems.push(`${where}.send_resolved: true or false`);
        // PagerDuty's events endpoint is fixed; url_env may point it elsewhere (a proxy, a test double).
        const url =
          (typeof urlVar === 'string' ? env[urlVar] : undefined) ||
          (kind === 'pagerduty' ? PAGERDUTY_EVENTS_URL : undefined);
        const secret = typeof secretVar === 'string' ? env[secretVar] : undefined;
        if (!url || (spec.secretRequired && !secret)) {
          const unset = (kind === 'pagerduty' ? [secretVar] : [urlVar]).filter(
            (v) => typeof v === 'string' && !env[v],
          );
          receiver.off.push(`${id} (${unset.join(', ')} unset)`);
          continue;
        }
        try {
          const u = new URL(url);
          if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
        } catch {
          problems.push(`${where}: the environment variable ${String(urlVar)} does not hold an http(s) URL`);
          continue;
        }
        receiver.integrations.push({ id, kind, url, secret, sendResolved: sendResolved === true });
      }
    }
    receivers.set(name, receiver);
  }
  if (!root.route || typeof root.route !== 'object') problems.push('route: the routing tree is required');
  const route = parseRoute(root.route as Record<string, unknown>, undefined, 'route', receivers, problems);
  if (route.matchers.length) problems.push('route.matchers: the root route matches every alert and has none');
  if (problems.length) throw new NotificationConfigError(file, problems);
  return { route, receivers };
}

function parseRoute(
  raw: Record<string, unknown> | undefined,
  parent: RouteSettings | undefined,
  where: string,
  receivers: Map<string, Receiver>,
  problems: string[],
): Route {
  const r = raw ?? {};
  const duration = (field: keyof typeof ROOT_DEFAULTS, inherited: number | undefined) => {
    const v = r[field];
    if (v === undefined) return inherited ?? parseDuration(ROOT_DEFAULTS[field])!;
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) problems.push(`${where}.${field}: '${String(v)}' is not a duration like 30s or 5m`);
    return ms ?? 0;
  };
  const receiver = typeof r.receiver === 'string' ? r.receiver : parent?.receiver;
  if (!receiver) problems.push(`${where}.receiver: which receiver gets these alerts`);
  else if (!receivers.has(receiver)) problems.push(`${where}.receiver: no receiver named '${receiver}'`);
  let groupBy: RouteSettings['groupBy'] = parent?.groupBy ?? ['alertname'];
  if (r.group_by !== undefined) {
    if (!Array.isArray(r.group_by) || r.group_by.some((l) => typeof l !== 'string'))
      problems.push(`${where}.group_by: a list of label names, or ['...'] for every label`);
    else groupBy = r.group_by.includes('...') ? 'all' : (r.group_by as string[]);
  }
  const matchers: Matcher[] = [];
  for (const [i, m] of (Array.isArray(r.matchers) ? r.matchers : []).entries()) {
    const parsed = parseMatcher(String(m));
    if ('error' in parsed) problems.push(`${where}.matchers[${i}]: ${parsed.error}`);
    else matchers.push(parsed);
  }
  const settings: RouteSettings = {
    receiver: receiver ?? '',
    groupBy,
    groupWaitMs: duration('group_wait', parent?.groupWaitMs),
    groupIntervalMs: duration('group_interval', parent?.groupIntervalMs),
    repeatIntervalMs: duration('repeat_interval', parent?.repeatIntervalMs),
  };
  return {
    ...settings,
    matchers,
    continue: r.continue === true,
    routes: (Array.isArray(r.routes) ? r.routes : []).map((child: Record<string, unknown>, i: number) =>
      parseRoute(child, settings, `${where}.routes[${i}]`, receivers, problems),
    ),
  };
}
