import { countedBy, Gauge, gaugedBy, Histogram, Registry } from '../platform/metrics.ts';

/**
 * The scheduler's self-metrics in their own prom-client registry (names after Prometheus's own rule metrics).
 */
export class AlertMetrics {
  readonly registry = new Registry();
  readonly evaluationDuration: Histogram;
  evaluations = 0;
  evaluationFailures = 0;
  groupRunsSkipped = 0;
  notificationsSent = 0;
  notificationsFailed = 0;
  notificationsRetried = 0;
  outboxDepth = 0;
  leader = 0;
  alertmanagerAlertsSent = 0;
  alertmanagerSendFailures = 0;
  alerts = { pending: 0, firing: 0 };

  constructor() {
    const r = this.registry;
    const counted = (name: string, help: string, read: () => number) => countedBy(r, name, help, read);
    const gauged = (name: string, help: string, read: () => number) => gaugedBy(r, name, help, read);
    this.evaluationDuration = new Histogram({
      name: 'promptscope_alert_rule_evaluation_duration_seconds',
      help: 'Time one rule evaluation took (query, state machine, storing)',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers: [r],
    });
    counted('promptscope_alert_rule_evaluations_total', 'Rule evaluations', () => this.evaluations);
    counted(
      'promptscope_alertmanager_alerts_sent_total',
      'Alerts sent to Alertmanagers (every active alert again each resend delay)',
      () => this.alertmanagerAlertsSent,
    );
    counted(
      'promptscope_alertmanager_send_failures_total',
      'Sends to an Alertmanager that failed (made again at the next tick)',
      () => this.alertmanagerSendFailures,
    );
    counted(
      'promptscope_alert_rule_evaluation_failures_total',
      'Rule evaluations whose query failed or timed out',
      () => this.evaluationFailures,
    );
    counted(
      'promptscope_alert_group_runs_skipped_total',
      'Group runs skipped because the previous run was still going',
      () => this.groupRunsSkipped,
    );
    counted(
      'promptscope_alert_notifications_sent_total',
      'Notifications a receiver accepted',
      () => this.notificationsSent,
    );
    counted(
      'promptscope_alert_notifications_failed_total',
      'Notifications given up on (refused as invalid, or expired while retrying)',
      () => this.notificationsFailed,
    );
    counted(
      'promptscope_alert_notifications_retried_total',
      'Delivery attempts that failed and will be retried',
      () => this.notificationsRetried,
    );
    gauged('promptscope_alert_outbox_depth', 'Notifications waiting to be delivered', () => this.outboxDepth);
    gauged(
      'promptscope_alert_scheduler_leader',
      '1 when this process is the active evaluator',
      () => this.leader,
    );
    const metrics = this;
    new Gauge({
      name: 'promptscope_alerts',
      help: 'Alert instances by state',
      labelNames: ['state'],
      registers: [r],
      collect() {
        this.set({ state: 'pending' }, metrics.alerts.pending);
        this.set({ state: 'firing' }, metrics.alerts.firing);
      },
    });
  }
}
