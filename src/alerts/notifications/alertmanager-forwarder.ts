import type { Logger } from '../../platform/log.ts';
import type { Queryable } from '../../store/postgres.ts';
import { type Instance, RESOLVED_RETENTION_MS } from '../state-machine.ts';
import { allInstances } from '../state-store.ts';
import type { AlertmanagerTarget } from './config.ts';

const SEND_TIMEOUT_MS = 10_000;

export interface ForwarderMetrics {
  alertmanagerAlertsSent: number;
  alertmanagerSendFailures: number;
}

/**
 * Sends alerts to Alertmanagers the way Prometheus does (rules/alerting.go, sendAlerts): every firing alert, and
 * every alert resolved in the last 15 minutes, is sent when it changes and again every resend delay; a firing one
 * with `endsAt` = now + 4 × the resend delay, so Alertmanager resolves it by itself a few minutes after promptscope
 * stops sending (Alertmanager keeps alerts in memory only: a restarted one knows them again at the next resend).
 * Each Alertmanager gets the whole list; its own routes, silences and inhibitions apply there. Nothing is queued:
 * a send that fails is simply made again at the next tick, as Prometheus does.
 */
export class AlertmanagerForwarder {
  readonly #targets: AlertmanagerTarget[];
  readonly #sql: Queryable;
  readonly #log: Logger;
  readonly #externalUrl: string;
  readonly #metrics: ForwarderMetrics;
  /** target index → fingerprint → when and in which state it was last sent. */
  readonly #sent: Map<string, { at: number; state: string }>[];

  constructor(o: {
    targets: AlertmanagerTarget[];
    sql: Queryable;
    log: Logger;
    externalUrl: string | undefined;
    metrics: ForwarderMetrics;
  }) {
    this.#targets = o.targets;
    this.#sql = o.sql;
    this.#log = o.log;
    this.#externalUrl = o.externalUrl ?? '';
    this.#metrics = o.metrics;
    this.#sent = o.targets.map(() => new Map());
  }

  /** `instances`: the alert instances as loaded for this tick (the scheduler shares one load with the dispatcher). */
  async tick(now: number, instances?: (Instance & { rule: string })[]): Promise<void> {
    if (this.#targets.length === 0) return;
    const alerts = (instances ?? (await allInstances(this.#sql))).filter(
      (i) =>
        i.state === 'firing' ||
        (i.state === 'resolved' && i.resolvedAt !== null && now - i.resolvedAt < RESOLVED_RETENTION_MS),
    );
    await Promise.all(
      this.#targets.map(async (target, t) => {
        const sent = this.#sent[t]!;
        const current = new Set(alerts.map((a) => a.fingerprint));
        for (const fp of sent.keys()) if (!current.has(fp)) sent.delete(fp);
        const due = alerts.filter((a) => {
          const last = sent.get(a.fingerprint);
          return !last || last.state !== a.state || now - last.at >= target.resendDelayMs;
        });
        if (due.length === 0) return;
        const validUntil = new Date(now + 4 * target.resendDelayMs).toISOString();
        const body = due.map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
          endsAt: a.state === 'resolved' ? new Date(a.resolvedAt!).toISOString() : validUntil,
          generatorURL: this.#externalUrl ? `${this.#externalUrl}/dashboards#alerts` : '',
        }));
        const error = await post(alertsUrl(target.url), body);
        if (error) {
          this.#metrics.alertmanagerSendFailures++;
          this.#log.warn('could not send alerts to an Alertmanager; sending again at the next tick', {
            alertmanager: t,
            alerts: due.length,
            error,
          });
          return;
        }
        this.#metrics.alertmanagerAlertsSent += due.length;
        for (const a of due) sent.set(a.fingerprint, { at: now, state: a.state });
      }),
    );
  }
}

/** `POST /api/v2/alerts` under the Alertmanager's URL, its route prefix kept (`http://am:9093/am` → `/am/api/v2/alerts`). */
export function alertsUrl(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  return url.toString();
}

async function post(url: string, body: unknown): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'promptscope-alerts' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    if (res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return `HTTP ${res.status}: ${(await res.text().catch(() => '')).slice(0, 200)}`;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return e.name === 'TimeoutError'
      ? `no answer within ${SEND_TIMEOUT_MS / 1000}s`
      : (e.cause?.code ?? e.message);
  }
}
