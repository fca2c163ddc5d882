import type { Logger } from '../../platform/log.ts';
import { ADVISORY_LOCKS } from '../../store/advisory-locks.ts';
import type { Sql, TransactionSql } from '../../store/postgres.ts';
import type { Labels } from '../labels.ts';
import { activeSilences, isSilenced } from '../silences.ts';
import type { Instance } from '../state-machine.ts';
import { allInstances } from '../state-store.ts';
import type { Integration, NotificationConfig, RouteSettings } from './config.ts';
import { isInhibited } from './inhibit.ts';
import { enqueueNotification } from './outbox.ts';
import {
  type GroupNotification,
  type NotifiedAlert,
  pagerDutyEvent,
  slackBody,
  webhookBody,
  ZERO_TIME,
} from './payloads.ts';
import { groupOf, matchRoutes } from './routing.ts';
import { isMuted } from './time-intervals.ts';

interface GroupRow {
  receiver: string;
  group_key: string;
  group_labels: Labels;
  created_at: Date;
  next_flush_at: Date;
  last_notified_at: Date | null;
  notified_firing: Record<string, NotifiedAlert>;
  route: RouteSettings;
}

interface LiveGroup {
  receiver: string;
  key: string;
  labels: Labels;
  route: RouteSettings;
  firing: Map<string, NotifiedAlert>;
  resolved: Map<string, NotifiedAlert>;
}

/**
 * Alertmanager's notification pipeline over Postgres: firing and resolved alerts are routed by their labels, grouped
 * (group_by), held for group_wait, looked at again every group_interval, repeated after repeat_interval; a group is
 * notified when it has new firing alerts, resolved ones, or the repeat is due (Alertmanager's dedup rules). Each
 * notification is written to the outbox in the same transaction that records it in the group's log, so a crash
 * neither loses it nor sends it twice.
 */
export class Dispatcher {
  readonly #sql: Sql;
  readonly #config: NotificationConfig;
  readonly #log: Logger;
  readonly #externalUrl: string;

  constructor(o: { sql: Sql; config: NotificationConfig; log: Logger; externalUrl: string | undefined }) {
    this.#sql = o.sql;
    this.#config = o.config;
    this.#log = o.log;
    this.#externalUrl = o.externalUrl ?? '';
  }

  /** `instances`: the alert instances as loaded for this tick (the scheduler shares one load with the forwarder). */
  async tick(now: number, instances?: (Instance & { rule: string })[]): Promise<number> {
    const live = await this.#liveGroups(now, instances);
    let queued = 0;
    await this.#sql.begin(async (tx) => {
      // One dispatcher at a time, even if two processes believed they lead for a moment.
      await tx`select pg_advisory_xact_lock(${ADVISORY_LOCKS.alertDispatch})`;
      const rows = await tx<GroupRow[]>`select * from alert_groups`;
      const stored = new Map(rows.map((r) => [`${r.receiver}\n${r.group_key}`, r]));
      for (const id of new Set([...live.keys(), ...stored.keys()])) {
        queued += await this.#flush(tx, live.get(id), stored.get(id), now);
      }
    });
    return queued;
  }

  async #liveGroups(now: number, loaded?: (Instance & { rule: string })[]): Promise<Map<string, LiveGroup>> {
    const [instances, silences] = await Promise.all([
      loaded ?? allInstances(this.#sql),
      activeSilences(this.#sql, now),
    ]);
    const groups = new Map<string, LiveGroup>();
    const firing = instances.filter((i) => i.state === 'firing').map((i) => i.labels);
    for (const instance of instances) {
      if (instance.state === 'pending' || isSilenced(instance.labels, silences)) continue;
      if (instance.state === 'firing' && isInhibited(instance.labels, firing, this.#config.inhibitRules))
        continue;
      for (const route of matchRoutes(this.#config.route, instance.labels)) {
        const g = groupOf(route, instance.labels);
        const id = `${route.receiver}\n${g.key}`;
        let group = groups.get(id);
        if (!group) {
          group = {
            receiver: route.receiver,
            key: g.key,
            labels: g.labels,
            route,
            firing: new Map(),
            resolved: new Map(),
          };
          groups.set(id, group);
        }
        const alert = this.#alert(instance);
        (alert.status === 'firing' ? group.firing : group.resolved).set(alert.fingerprint, alert);
      }
    }
    return groups;
  }

  #alert(i: Instance & { rule: string }): NotifiedAlert {
    return {
      fingerprint: i.fingerprint,
      status: i.state === 'firing' ? 'firing' : 'resolved',
      labels: i.labels,
      annotations: i.annotations,
      startsAt: new Date(i.firedAt ?? i.activeAt).toISOString(),
      endsAt: i.state === 'resolved' && i.resolvedAt ? new Date(i.resolvedAt).toISOString() : ZERO_TIME,
      // The built-in page's alert view: what on-call can open in a browser (the API routes need a bearer key).
      generatorURL: this.#externalUrl ? `${this.#externalUrl}/dashboards#alerts` : '',
    };
  }

  /** One group at `now`: creates, notifies, reschedules or forgets it. Returns how many outbox rows it queued. */
  async #flush(
    tx: TransactionSql,
    live: LiveGroup | undefined,
    row: GroupRow | undefined,
    now: number,
  ): Promise<number> {
    const firing = live?.firing ?? new Map<string, NotifiedAlert>();
    if (!row) {
      if (!live || firing.size === 0) return 0;
      const nextFlush = now + live.route.groupWaitMs;
      await tx`insert into alert_groups (receiver, group_key, group_labels, route, created_at, next_flush_at)
        values (${live.receiver}, ${live.key}, ${tx.json(live.labels as never)}, ${tx.json(live.route as never)},
                ${new Date(now)}, ${new Date(nextFlush)})`;
      if (live.route.groupWaitMs > 0) return 0;
      row = {
        receiver: live.receiver,
        group_key: live.key,
        group_labels: live.labels,
        created_at: new Date(now),
        next_flush_at: new Date(nextFlush),
        last_notified_at: null,
        notified_firing: {},
        route: live.route,
      };
    }
    if (now < row.next_flush_at.getTime()) return 0;
    const route = live?.route ?? row.route;
    if (isMuted(route, this.#config.timeIntervals, now)) {
      // Alertmanager sends nothing from a muted route; what still fires is told once the mute ends.
      if (firing.size === 0) {
        await tx`delete from alert_groups where receiver = ${row.receiver} and group_key = ${row.group_key}`;
        return 0;
      }
      await tx`update alert_groups set next_flush_at = ${new Date(now + route.groupIntervalMs)}
        where receiver = ${row.receiver} and group_key = ${row.group_key}`;
      return 0;
    }
    const last = row.notified_firing;
    const resolved: NotifiedAlert[] = Object.values(last)
      .filter((a) => !firing.has(a.fingerprint))
      .map(
        (a) =>
          live?.resolved.get(a.fingerprint) ?? {
            ...a,
            status: 'resolved',
            endsAt: new Date(now).toISOString(),
          },
      );
    const newFiring = [...firing.keys()].some((fp) => !last[fp]);
    const repeatDue =
      row.last_notified_at !== null && now >= row.last_notified_at.getTime() + route.repeatIntervalMs;
    const notify =
      row.last_notified_at === null
        ? firing.size > 0
        : newFiring || resolved.length > 0 || (firing.size > 0 && repeatDue);
    let queued = 0;
    if (notify) {
      queued = await this.#enqueue(
        tx,
        {
          receiver: row.receiver,
          groupKey: row.group_key,
          groupLabels: row.group_labels,
          alerts: [...firing.values(), ...resolved],
          externalURL: this.#externalUrl,
        },
        route,
        now,
      );
    }
    if (firing.size === 0 && (notify || Object.keys(last).length === 0)) {
      await tx`delete from alert_groups where receiver = ${row.receiver} and group_key = ${row.group_key}`;
      return queued;
    }
    const notified = notify ? Object.fromEntries([...firing].map(([fp, a]) => [fp, a])) : last;
    await tx`update alert_groups set next_flush_at = ${new Date(now + route.groupIntervalMs)},
        last_notified_at = ${notify ? new Date(now) : row.last_notified_at},
        notified_firing = ${tx.json(notified as never)}
      where receiver = ${row.receiver} and group_key = ${row.group_key}`;
    return queued;
  }

  async #enqueue(
    tx: TransactionSql,
    n: GroupNotification,
    _route: RouteSettings,
    now: number,
  ): Promise<number> {
    const receiver = this.#config.receivers.get(n.receiver);
    if (!receiver) return 0;
    let queued = 0;
    for (const integration of receiver.integrations) {
      for (const { status, payload } of this.#payloads(integration, n)) {
        await enqueueNotification(tx, {
          receiver: n.receiver,
          integration,
          groupKey: n.groupKey,
          status,
          payload,
          createdAt: new Date(now),
          now,
        });
        queued++;
      }
    }
    if (queued)
      this.#log.info('notification queued', {
        receiver: n.receiver,
        group: n.groupKey,
        alerts: n.alerts.length,
      });
    return queued;
  }

  /** What one integration is sent for a group notification (resolved alerts left out where send_resolved is off). */
  #payloads(integration: Integration, n: GroupNotification) {
    const alerts = integration.sendResolved ? n.alerts : n.alerts.filter((a) => a.status === 'firing');
    if (alerts.length === 0) return [];
    const scoped = { ...n, alerts };
    const status = alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
    switch (integration.kind) {
      case 'webhook':
        return [{ status, payload: webhookBody(scoped) }];
      case 'slack':
        return [{ status, payload: slackBody(scoped) }];
      case 'pagerduty':
        return alerts.map((a) => ({ status: a.status, payload: pagerDutyEvent(a, '', n.externalURL) }));
    }
  }
}
