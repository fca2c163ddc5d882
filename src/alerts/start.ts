import type { AlertSettings } from '../config.ts';
import type { Logger } from '../platform/log.ts';
import { processMetrics, type Registry, samplesOf } from '../platform/metrics.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import type { Sql } from '../store/postgres.ts';
import { loadNotificationConfig, type NotificationConfig } from './notifications/config.ts';
import { loadRuleFiles, type RuleGroup } from './rules.ts';
import { type MetricsTarget, type RunningScheduler, startScheduler } from './scheduler.ts';

export interface AlertingSetup {
  groups: RuleGroup[];
  notifications: NotificationConfig;
  /** One line per integration: on, or off and which variable is unset. */
  receivers: string[];
}

/** Reads the rule files and the notification settings; a problem in either stops start-up with what to fix. */
export async function loadAlerting(settings: AlertSettings, env: NodeJS.ProcessEnv): Promise<AlertingSetup> {
  const groups = await loadRuleFiles([settings.rulesPath]);
  const notifications = await loadNotificationConfig(settings.notificationsFile, env);
  const receivers = [
    ...[...notifications.receivers.values()].flatMap((r) => [
      ...r.integrations.map((i) => `${i.id} on`),
      ...r.off.map((off) => `${off.replace(/ \(/, ' off (')}`),
    ]),
    ...notifications.alertmanagers.map((_, i) => `alertmanagers[${i}] on`),
    ...notifications.alertmanagersOff.map((off) => `${off.replace(/ \(/, ' off (')}`),
  ];
  return { groups, notifications, receivers };
}

/** The scheduler role with the deployment's settings. */
export function startConfiguredScheduler(
  setup: AlertingSetup,
  o: {
    sql: Sql;
    clickhouse: ClickHouseClient;
    log: Logger;
    settings: AlertSettings;
    /** The collector in this process: its URL (for `instance`) and the registries its /metrics would show. */
    localCollector?: { url: string; registries: () => Registry[] };
    apiUrl?: string;
  },
): Promise<RunningScheduler> {
  return startScheduler({
    sql: o.sql,
    clickhouse: o.clickhouse,
    groups: setup.groups,
    notifications: setup.notifications,
    log: o.log,
    metricsTargets:
      o.settings.collectorMetricsUrls ??
      (o.localCollector ? [inProcess(o.localCollector.url, o.localCollector.registries)] : []),
    externalUrl: o.settings.externalUrl ?? o.apiUrl,
  });
}

/** The collector of this process, read without HTTP: the same samples its /metrics shows. */
function inProcess(url: string, registries: () => Registry[]): MetricsTarget {
  return { instance: new URL(url).host, samples: () => samplesOf([processMetrics(), ...registries()]) };
}
