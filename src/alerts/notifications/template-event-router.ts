import type { Logger } from '../../platform/log.ts';
import type { TemplateEvent } from '../../prompts/store/template-events.ts';
import type { Sql } from '../../store/postgres.ts';
import { type Labels, matchesAll } from '../labels.ts';
import type { Integration, NotificationConfig, Route, RouteSettings } from './config.ts';
import { enqueueNotification } from './outbox.ts';
import { escapeSlack } from './payloads.ts';

const BATCH = 100;

/** The labels an event is routed by: `event`, `template`, `actor`, and `label` / `version` where it has them. */
export function eventLabels(e: Pick<TemplateEvent, 'type' | 'template' | 'actor' | 'data'>): Labels {
  const labels: Labels = { event: e.type, template: e.template, actor: e.actor };
  if (typeof e.data.label === 'string') labels.label = e.data.label;
  const version = e.data.to_version ?? e.data.version;
  if (typeof version === 'string') labels.version = version;
  return labels;
}

/**
 * The routes an event takes: the routing tree walked as for alerts, but only a route that matches on the `event`
 * label (or lies below one) delivers it. The root's catch-all never does: a receiver built for Alertmanager's
 * payload is not sent a shape it does not know, and a template change does not page anyone by default.
 */
export function eventRoutes(route: Route, labels: Labels, namesEvent = false): RouteSettings[] {
  const found: RouteSettings[] = [];
  for (const child of route.routes) {
    if (!matchesAll(labels, child.matchers)) continue;
    found.push(...eventRoutes(child, labels, namesEvent || child.matchers.some((m) => m.name === 'event')));
    if (!child.continue) break;
  }
  if (found.length) return found;
  return namesEvent ? [route] : [];
}

/** What one sentence says of an event, for Slack and logs. */
export function eventSummary(e: Pick<TemplateEvent, 'type' | 'template' | 'actor' | 'data'>): string {
  const d = e.data;
  if (e.type === 'template.version.published') {
    const message = d.commit_message ? `: ${d.commit_message}` : '';
    return `${e.template} version ${d.version} published by ${e.actor}${message}`;
  }
  const split = Array.isArray(d.split)
    ? (d.split as { version: string; weight: number }[]).map((s) => `${s.version} (${s.weight})`).join(' / ')
    : null;
  const to = d.to_version === null ? 'removed' : split ? `split ${split}` : `→ ${d.to_version}`;
  const from = d.from_version === null ? '' : ` from ${d.from_version}`;
  const reason = d.reason ? ` (${d.reason})` : '';
  return `${e.template} label ${d.label}${from} ${to} by ${e.actor}${reason}`;
}

/**
 * The body an integration is sent: for webhooks the Standard Webhooks event shape (`type`, `timestamp`, `data`),
 * for Slack a message. PagerDuty is not told: a template change is not an incident.
 */
export function eventPayload(integration: Integration, e: TemplateEvent, externalUrl: string): unknown {
  const link = externalUrl ? `${externalUrl}/dashboards#templates/${encodeURIComponent(e.template)}` : '';
  if (integration.kind === 'slack') {
    const text = eventSummary(e);
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: escapeSlack(text) } }] };
  }
  return {
    type: e.type,
    timestamp: e.occurred_at.toISOString(),
    data: { id: e.id, template: e.template, actor: e.actor, ...e.data, url: link },
  };
}

/**
 * Routes the template events not yet routed: each becomes one outbox row per integration of the receivers its
 * routes name, in the transaction that marks it routed (so a crash neither loses nor doubles one). Rows of one
 * template share a group key and are made at the event's time: an integration hears a template's changes in the
 * order they were made.
 */
export async function routeTemplateEvents(
  sql: Sql,
  config: NotificationConfig,
  log: Logger,
  externalUrl: string,
  now: number,
): Promise<number> {
  return sql.begin(async (tx) => {
    const events = await tx<TemplateEvent[]>`select id::text, type, template, actor, data, occurred_at
      from template_events where routed_at is null order by id limit ${BATCH} for update skip locked`;
    let queued = 0;
    for (const e of events) {
      const receivers = new Set(eventRoutes(config.route, eventLabels(e)).map((r) => r.receiver));
      for (const name of receivers) {
        for (const integration of config.receivers.get(name)?.integrations ?? []) {
          if (integration.kind === 'pagerduty') continue;
          const payload = eventPayload(integration, e, externalUrl);
          await enqueueNotification(tx, {
            receiver: name,
            integration,
            groupKey: `event:${e.template}`,
            status: 'event',
            payload,
            createdAt: e.occurred_at,
            now,
          });
          queued++;
        }
      }
      if (receivers.size)
        log.info('template event routed', { event: e.type, template: e.template, receivers: [...receivers] });
    }
    if (events.length)
      await tx`update template_events set routed_at = ${new Date(now)} where id = any(${events.map((e) => e.id)}::bigint[])`;
    return queued;
  });
}
