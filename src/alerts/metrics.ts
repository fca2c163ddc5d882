import { Histogram, metric } from '../../collector/metrics.ts';
import type { RollupMetrics } from '../analytics/hourly-rollup.ts';

/**
 * The scheduler's self-metrics, in the Prometheus text format (names after Prometheus's own rule metrics), and those
 * of the hourly rollup it builds.
 */
export class AlertMetrics {
  readonly evaluationDuration = new Histogram([0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30]);
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
  readonly rollup: RollupMetrics = { hoursBuilt: 0, failures: 0, waiting: 0 };

  render(): string {
    const lines: string[] = [];
    const one = (name: string, type: 'counter' | 'gauge', help: string, value: number) =>
      lines.push(...metric(name, type, help, value));
    lines.push(
      ...this.evaluationDuration.render(
        'promptscope_alert_rule_evaluation_duration_seconds',
        'Time one rule evaluation took (query, state machine, storing)',
      ),
    );
    one('promptscope_alert_rule_evaluations_total', 'counter', 'Rule evaluations', this.evaluations);
    one(
      'promptscope_alertmanager_alerts_sent_total',
      'counter',
      'Alerts sent to Alertmanagers (every active alert again each resend delay)',
      this.alertmanagerAlertsSent,
    );
    one(
      'promptscope_alertmanager_send_failures_total',
      'counter',
      'Sends to an Alertmanager that failed (made again at the next tick)',
      this.alertmanagerSendFailures,
    );
    one(
      'promptscope_alert_rule_evaluation_failures_total',
      'counter',
      'Rule evaluations whose query failed or timed out',
      this.evaluationFailures,
    );
    one(
      'promptscope_alert_group_runs_skipped_total',
      'counter',
      'Group runs skipped because the previous run was still going',
      this.groupRunsSkipped,
    );
    one(
      'promptscope_alert_notifications_sent_total',
      'counter',
      'Notifications a receiver accepted',
      this.notificationsSent,
    );
    one(
      'promptscope_alert_notifications_failed_total',
      'counter',
      'Notifications given up on (refused as invalid, or expired while retrying)',
      this.notificationsFailed,
    );
    one(
      'promptscope_alert_notifications_retried_total',
      'counter',
      'Delivery attempts that failed and will be retried',
      this.notificationsRetried,
    );
    one('promptscope_alert_outbox_depth', 'gauge', 'Notifications waiting to be delivered', this.outboxDepth);
    one(
      'promptscope_alert_scheduler_leader',
      'gauge',
      '1 when this process is the active evaluator',
      this.leader,
    );
    one(
      'promptscope_rollup_hours_built_total',
      'counter',
      'Hours of llm_calls built (or rebuilt) into the hourly rollup',
      this.rollup.hoursBuilt,
    );
    one(
      'promptscope_rollup_build_failures_total',
      'counter',
      'Rollup rounds that failed (figures read llm_calls for the hours not built)',
      this.rollup.failures,
    );
    one(
      'promptscope_rollup_hours_waiting',
      'gauge',
      'Closed hours whose rollup is missing or out of date after the last round',
      this.rollup.waiting,
    );
    lines.push('# HELP promptscope_alerts Alert instances by state', '# TYPE promptscope_alerts gauge');
    lines.push(`promptscope_alerts{state="pending"} ${this.alerts.pending}`);
    lines.push(`promptscope_alerts{state="firing"} ${this.alerts.firing}`);
    return `${lines.join('\n')}\n`;
  }
}
