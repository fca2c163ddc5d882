import type { Alert, RuleStatus, Transition } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api } from './session.ts';
import { stat, table } from './widgets.ts';

const labelText = (labels: Record<string, string>, skip?: string) =>
  Object.entries(labels)
    .filter(([k]) => k !== skip)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** Firing and pending alerts, every rule with its health, and the latest state changes. */
export async function alertsView(): Promise<void> {
  const [active, rules, history] = await Promise.all([
    api<{ alerts: Alert[] }>('/api/v1/alerts'),
    api<{ groups: { rules: RuleStatus[] }[] }>('/api/v1/alerts/rules'),
    api<{ transitions: Transition[] }>('/api/v1/alerts/history?limit=50'),
  ]);
  const firing = active.alerts.filter((a) => a.state === 'firing');
  const allRules = rules.groups.flatMap((g) => g.rules);
  const failing = allRules.filter((r) => r.health === 'error');
  main.replaceChildren(
    el(
      'div',
      { class: 'stats' },
      stat('firing', 'Firing', String(firing.length)),
      stat('pending', 'Pending', String(active.alerts.length - firing.length)),
      stat('failing-rules', 'Rules failing', String(failing.length)),
    ),
    el(
      'div',
      { class: 'card', 'data-table': 'active alerts' },
      el('h3', {}, 'Active alerts'),
      active.alerts.length === 0
        ? el('p', {}, 'Nothing pending or firing.')
        : table(active.alerts, [
            { label: 'alert', value: (a) => a.alertname },
            { label: 'state', value: (a) => (a.silenced ? `${a.state} (silenced)` : a.state) },
            { label: 'labels', value: (a) => labelText(a.labels, 'alertname') },
            { label: 'summary', value: (a) => a.annotations.summary ?? '' },
            { label: 'value', value: (a) => a.value, num: true },
            { label: 'since', value: (a) => fmt.time(a.firing_since ?? a.active_since) },
          ]),
    ),
    el(
      'div',
      { class: 'card', 'data-table': 'rules' },
      el('h3', {}, 'Rules'),
      table(allRules, [
        { label: 'rule', value: (r) => r.key },
        { label: 'condition', value: (r) => `${r.condition} for ${r.for}` },
        { label: 'health', value: (r) => r.health },
        { label: 'last evaluated', value: (r) => fmt.time(r.last_evaluated_at) },
        { label: 'error', value: (r) => r.error ?? '' },
        { label: 'firing', value: (r) => r.firing, num: true },
      ]),
    ),
    el(
      'div',
      { class: 'card', 'data-table': 'history' },
      el('h3', {}, 'Recent changes'),
      table(history.transitions, [
        { label: 'at', value: (t) => fmt.time(t.at) },
        { label: 'rule', value: (t) => t.rule },
        { label: 'labels', value: (t) => labelText(t.labels) },
        { label: 'change', value: (t) => `${t.from} → ${t.to}` },
      ]),
    ),
  );
}
