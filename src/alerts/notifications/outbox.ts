import type { Logger } from '../../platform/log.ts';
import type { Queryable, Sql } from '../../store/postgres.ts';
import type { AlertMetrics } from '../metrics.ts';
import type { Integration, NotificationConfig } from './config.ts';
import { signatureHeaders } from './standard-webhooks.ts';

interface OutboxRow {
  id: string;
  receiver: string;
  integration: string;
  group_key: string;
  kind: string;
  status: string;
  payload: Record<string, unknown> | unknown[];
  attempts: number;
  created_at: Date;
  expires_at: Date;
}

/** How long a notification is retried before it is given up on. */
export const NOTIFICATION_TTL_MS = 24 * 3_600_000;

/**
 * Queues one notification for one integration, in the caller's transaction. Rows of one integration and group go out
 * in `createdAt` order (an alert's group, a template's events).
 */
export async function enqueueNotification(
  tx: Queryable,
  n: {
    receiver: string;
    integration: Integration;
    groupKey: string;
    status: string;
    payload: unknown;
    createdAt: Date;
    now: number;
  },
): Promise<void> {
  await tx`insert into alert_outbox (receiver, integration, group_key, kind, status, payload, created_at, next_attempt_at, expires_at)
    values (${n.receiver}, ${n.integration.id}, ${n.groupKey}, ${n.integration.kind}, ${n.status}, ${tx.json(n.payload as never)},
            ${n.createdAt}, ${new Date(n.now)}, ${new Date(n.now + NOTIFICATION_TTL_MS)})`;
}

const SEND_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 5 * 60_000;
const BATCH = 50;

/**
 * Delivers the outbox: each notification until a receiver accepts it (2xx) or it expires, at least once. Retried
 * with exponential backoff and jitter (or the receiver's Retry-After) on 408, 429, 5xx and network errors; a 4xx
 * that says the request itself is wrong is not retried. Notifications of one integration and group go out in the
 * order they were made, so a "resolved" never overtakes its "firing". Every request carries the row's id as its
 * idempotency key (`webhook-id` for signed webhooks, `Idempotency-Key` on all): a retry after a lost answer can be
 * recognised by the receiver.
 */
export class OutboxSender {
  readonly #sql: Sql;
  readonly #integrations: Map<string, Integration>;
  readonly #log: Logger;
  readonly #metrics: AlertMetrics;

  constructor(o: { sql: Sql; config: NotificationConfig; log: Logger; metrics: AlertMetrics }) {
    this.#sql = o.sql;
    this.#integrations = new Map(
      [...o.config.receivers.values()].flatMap((r) => r.integrations.map((i) => [i.id, i] as const)),
    );
    this.#log = o.log;
    this.#metrics = o.metrics;
  }

  /** Sends what is due at `now`; returns how many were delivered. */
  async deliverDue(now: number): Promise<number> {
    const at = new Date(now);
    const due = await this.#sql<OutboxRow[]>`
      select o.* from alert_outbox o
      where o.delivered_at is null and o.failed_at is null and o.next_attempt_at <= ${at}
        and not exists (select 1 from alert_outbox p
          where p.integration = o.integration and p.group_key = o.group_key and p.delivered_at is null
            and p.failed_at is null and (p.created_at, p.id) < (o.created_at, o.id))
      order by o.created_at, o.id limit ${BATCH}`;
    const delivered = await Promise.all(due.map((row) => this.#attempt(row, now)));
    const [row] = await this.#sql<{ depth: number }[]>`select count(*)::int as depth from alert_outbox
      where delivered_at is null and failed_at is null`;
    this.#metrics.outboxDepth = row?.depth ?? 0;
    return delivered.filter(Boolean).length;
  }

  async #attempt(row: OutboxRow, now: number): Promise<boolean> {
    const integration = this.#integrations.get(row.integration);
    if (now >= row.expires_at.getTime() || !integration) {
      const reason = integration
        ? `expired after ${row.attempts} attempts`
        : 'its integration is no longer configured';
      await this.#sql`update alert_outbox set failed_at = ${new Date(now)},
        last_error = coalesce(last_error || '; ', '') || ${reason} where id = ${row.id}`;
      this.#metrics.notificationsFailed++;
      this.#log.error('notification given up', { id: row.id, integration: row.integration, reason });
      return false;
    }
    const result = await send(integration, row);
    if (result.ok) {
      await this
        .#sql`update alert_outbox set delivered_at = now(), attempts = attempts + 1 where id = ${row.id}`;
      this.#metrics.notificationsSent++;
      this.#log.info('notification delivered', {
        id: row.id,
        integration: row.integration,
        status: row.status,
      });
      return true;
    }
    const attempts = row.attempts + 1;
    if (!result.retry) {
      await this
        .#sql`update alert_outbox set failed_at = now(), attempts = ${attempts}, last_error = ${result.error}
        where id = ${row.id}`;
      this.#metrics.notificationsFailed++;
      this.#log.error('notification refused', {
        id: row.id,
        integration: row.integration,
        error: result.error,
      });
      return false;
    }
    const backoff = Math.min(1000 * 2 ** (attempts - 1), MAX_BACKOFF_MS) * (0.8 + Math.random() * 0.4);
    const next = now + Math.max(result.retryAfterMs ?? 0, backoff);
    await this.#sql`update alert_outbox set attempts = ${attempts}, last_error = ${result.error},
      next_attempt_at = ${new Date(next)} where id = ${row.id}`;
    this.#metrics.notificationsRetried++;
    this.#log.warn('notification delivery failed, will retry', {
      id: row.id,
      integration: row.integration,
      attempts,
      error: result.error,
      retryInMs: Math.round(next - now),
    });
    return false;
  }
}

type SendResult = { ok: true } | { ok: false; retry: boolean; error: string; retryAfterMs?: number };

/** One HTTP request to an integration. Error texts never include the URL (it may hold a token). */
async function send(integration: Integration, row: OutboxRow): Promise<SendResult> {
  const payload =
    integration.kind === 'pagerduty'
      ? { ...(row.payload as Record<string, unknown>), routing_key: integration.secret }
      : row.payload;
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'promptscope-alerts',
    'idempotency-key': row.id,
  };
  if (integration.kind === 'webhook' && integration.secret)
    Object.assign(headers, signatureHeaders(integration.secret, row.id, body));
  else if (integration.kind === 'webhook') headers['webhook-id'] = row.id;
  const url = integration.url;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const reason =
      e.name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS / 1000}s` : (e.cause?.code ?? e.name);
    return { ok: false, retry: true, error: `request failed: ${reason}` };
  }
  const text = (await res.text().catch(() => '')).slice(0, 200);
  if (res.ok) return { ok: true };
  const retry = res.status === 408 || res.status === 429 || res.status >= 500;
  const retryAfter = Number(res.headers.get('retry-after'));
  return {
    ok: false,
    retry,
    error: `HTTP ${res.status}${text ? `: ${text}` : ''}`,
    retryAfterMs:
      Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, MAX_BACKOFF_MS) : undefined,
  };
}
