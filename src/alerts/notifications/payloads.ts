import type { Labels } from '../labels.ts';

/** One alert as a notification carries it (Alertmanager's webhook alert shape). */
export interface NotifiedAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  /** Alertmanager's zero time for an alert still firing. */
  endsAt: string;
  generatorURL: string;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface GroupNotification {
  receiver: string;
  groupKey: string;
  groupLabels: Labels;
  alerts: NotifiedAlert[];
  externalURL: string;
}

/** Alertmanager's webhook payload, version 4: existing Alertmanager webhook receivers read it as they are. */
export function webhookBody(n: GroupNotification) {
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: 0,
    status: n.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    commonLabels: common(n.alerts.map((a) => a.labels)),
    commonAnnotations: common(n.alerts.map((a) => a.annotations)),
    externalURL: n.externalURL,
    alerts: n.alerts,
  };
}

const SLACK_MAX_ALERTS = 20;

/** A Slack incoming-webhook message: Block Kit blocks, with `text` as the notification fallback. */
export function slackBody(n: GroupNotification) {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const resolved = n.alerts.filter((a) => a.status === 'resolved');
  const name = n.groupLabels.alertname ?? n.alerts[0]?.labels.alertname ?? 'alert';
  const title = firing.length
    ? `:rotating_light: [FIRING:${firing.length}] ${name}`
    : `:white_check_mark: [RESOLVED] ${name}`;
  const line = (a: NotifiedAlert) => {
    const labels = Object.entries(a.labels)
      .filter(([k]) => k !== 'alertname')
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return `${a.status === 'firing' ? '*firing*' : '_resolved_'} ${escapeSlack(a.annotations.summary ?? a.labels.alertname ?? '')}${labels ? `\n\`${escapeSlack(labels)}\`` : ''}`;
  };
  const shown = [...firing, ...resolved].slice(0, SLACK_MAX_ALERTS);
  return {
    text: `${title}: ${shown.map((a) => a.annotations.summary ?? a.labels.alertname).join('; ')}`.slice(
      0,
      3000,
    ),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.replace(/:[a-z_]+: /, '').slice(0, 150) } },
      ...shown.map((a) => ({ type: 'section', text: { type: 'mrkdwn', text: line(a).slice(0, 3000) } })),
      ...(n.alerts.length > shown.length
        ? [
            {
              type: 'context',
              elements: [{ type: 'mrkdwn', text: `and ${n.alerts.length - shown.length} more` }],
            },
          ]
        : []),
      ...(n.externalURL
        ? [
            {
              type: 'context',
              elements: [{ type: 'mrkdwn', text: `<${n.externalURL}/dashboards|promptscope>` }],
            },
          ]
        : []),
    ],
  };
}

/** Text for Slack's mrkdwn: the three characters it reads as markup, escaped. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const PAGERDUTY_SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

/** A PagerDuty Events API v2 event per alert: trigger while firing, resolve after; the fingerprint is the dedup key. */
export function pagerDutyEvent(alert: NotifiedAlert, routingKey: string, externalURL: string) {
  if (alert.status === 'resolved')
    return { routing_key: routingKey, dedup_key: alert.fingerprint, event_action: 'resolve' };
  const severity = alert.labels.severity === 'page' ? 'critical' : (alert.labels.severity ?? 'error');
  return {
    routing_key: routingKey,
    dedup_key: alert.fingerprint,
    event_action: 'trigger',
    payload: {
      summary: [...(alert.annotations.summary ?? alert.labels.alertname ?? 'alert')].slice(0, 1024).join(''),
      source: alert.labels.service ?? alert.labels.instance ?? 'promptscope',
      severity: PAGERDUTY_SEVERITIES.has(severity) ? severity : 'error',
      timestamp: alert.startsAt,
      component: alert.labels.template,
      group: alert.labels.alertname,
      custom_details: { labels: alert.labels, annotations: alert.annotations },
    },
    client: 'promptscope',
    ...(externalURL ? { client_url: `${externalURL}/dashboards` } : {}),
  };
}

function common(sets: Labels[]): Labels {
  if (sets.length === 0) return {};
  const out: Labels = { ...sets[0] };
  for (const s of sets.slice(1)) for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  return out;
}
