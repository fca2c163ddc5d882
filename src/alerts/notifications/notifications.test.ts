// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordEvaluation } from '../../../test/support/alerts.ts';
import { createMigratedTestDatabase } from '../../../test/support/databases.ts';
import { startReceiver } from '../../../test/support/webhook-receiver.ts';
import { silentLogger } from '../../platform/log.ts';
import type { Sql } from '../../store/postgres.ts';
import { fingerprint, type Labels } from '../labels.ts';
import { AlertMetrics } from '../metrics.ts';
import { createSilence } from '../silences.ts';
import { KEEP, pruneAlertRecords } from '../state-store.ts';
import { AlertmanagerForwarder } from './alertmanager-forwarder.ts';
import { parseNotificationConfig } from './config.ts';
import { Dispatcher } from './dispatcher.ts';
import { OutboxSender } from './outbox.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12';
const CONFIG = `
route:
  receiver: on-call
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="warning"']
      receiver: team
receivers:
  - name: on-call
    webhook_configs: [{ url_env: HOOK, secret_env: HOOK_SECRET }]
    pagerduty_configs: [{ routing_key_env: PD_KEY, url_env: PD_URL }]
  - name: team
    slack_configs: [{ url_env: SLACK_URL }]
alertmanagers:
  - { url_env: AM_URL }
`;

const T = Date.parse('2026-01-05T10:00:00Z');
const MIN = 60_000;

describe('notifications: routing, grouping, the outbox and the integrations', () => {
  let db: { sql: Sql; drop: () => Promise<void> };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dispatcher: Dispatcher;
  let forwarder: AlertmanagerForwarder;
  let outbox: OutboxSender;
  let metrics: AlertMetrics;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    db = await createMigratedTestDatabase();
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql`truncate alert_instances, alert_groups, alert_outbox, alert_silences, alert_history`;
    receiver.received.length = 0;
    receiver.state.failNext = 0;
    receiver.state.failStatus = 503;
    logs.length = 0;
    const config = parseNotificationConfig('test.yaml', CONFIG, {
      HOOK: `${receiver.url}/hook`,
      HOOK_SECRET: SECRET,
      PD_KEY: ROUTING_KEY,
      PD_URL: `${receiver.url}/pd`,
      AM_URL: `${receiver.url}/am/`,
      SLACK_URL: `${receiver.url}/slack`,
    });
    const log = { ...silentLogger, info: rec('info'), warn: rec('warn'), error: rec('error') };
    metrics = new AlertMetrics();
    dispatcher = new Dispatcher({ sql: db.sql, config, log, externalUrl: 'https://promptscope.example' });
    forwarder = new AlertmanagerForwarder({
      targets: config.alertmanagers,
      sql: db.sql,
      log,
      externalUrl: 'https://promptscope.example',
      metrics,
    });
    outbox = new OutboxSender({ sql: db.sql, config, log, metrics });
  });
  const rec = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void logs.push({ level, msg, ...fields });

  const evaluate = (rule: string, active: Labels[], at: number) => recordEvaluation(db.sql, rule, active, at);
  async function step(at: number) {
    await dispatcher.tick(at);
    await outbox.deliverDue(at);
  }
  const hook = () => receiver.received.filter((r) => r.path === '/hook');
  const checkout = { alertname: 'HighErrorRate', template: 'checkout', severity: 'page' };
  const search = { alertname: 'HighErrorRate', template: 'search', severity: 'page' };

  it('waits group_wait, then sends one signed Alertmanager-style webhook for the group', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    expect(hook()).toHaveLength(0);
    await step(T + 30_000);
    expect(hook()).toHaveLength(1);
    const [msg] = hook();
    // Verified with the official Standard Webhooks library, as a receiver would.
    const headers = msg!.headers as Record<string, string>;
    expect(new Webhook(SECRET).verify(msg!.raw, headers)).toEqual(JSON.parse(msg!.raw));
    expect(() => new Webhook(SECRET).verify(msg!.raw.replace('checkout', 'checkouT'), headers)).toThrow(
      'No matching signature found',
    );
    expect(() =>
      new Webhook('whsec_b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcg==').verify(msg!.raw, headers),
    ).toThrow();
    expect(msg!.headers['idempotency-key']).toBe(msg!.headers['webhook-id']);
    expect(msg!.body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'on-call',
      groupLabels: { alertname: 'HighErrorRate' },
      commonLabels: checkout,
      externalURL: 'https://promptscope.example',
      alerts: [
        {
          status: 'firing',
          labels: checkout,
          annotations: { summary: 'HighErrorRate on checkout' },
          startsAt: new Date(T).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: fingerprint(checkout),
        },
      ],
    });
  });

  it('adds a new alert of the group at the next group_interval, is quiet without change, repeats after repeat_interval', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    await step(T + 30_000);
    await evaluate('g/HighErrorRate', [checkout, search], T + MIN);
    await step(T + MIN);
    expect(hook()).toHaveLength(1);
    await step(T + 30_000 + 5 * MIN);
    expect(hook()).toHaveLength(2);
    expect(
      hook()[1]!
        .body.alerts.map((a: any) => a.labels.template)
        .sort(),
    ).toEqual(['checkout', 'search']);
    await step(T + 30_000 + 10 * MIN);
    expect(hook()).toHaveLength(2);
    await step(T + 30_000 + 5 * MIN + 4 * 60 * MIN);
    expect(hook()).toHaveLength(3);
  });

  it('sends the resolution, with endsAt, and forgets the group', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    await step(T + 30_000);
    await evaluate('g/HighErrorRate', [], T + 2 * MIN);
    await step(T + 30_000 + 5 * MIN);
    expect(hook().map((m) => m.body.status)).toEqual(['firing', 'resolved']);
    expect(hook()[1]!.body.alerts[0]).toMatchObject({
      status: 'resolved',
      endsAt: new Date(T + 2 * MIN).toISOString(),
    });
    expect(await db.sql`select * from alert_groups`).toHaveLength(0);
  });

  it('an alert that resolves within group_wait is never sent', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    await evaluate('g/HighErrorRate', [], T + 10_000);
    await step(T + 30_000);
    await step(T + 10 * MIN);
    expect(receiver.received).toHaveLength(0);
  });

  it('a receiver down for a while gets each notification once it is back, with the same idempotency key on every try', async () => {
    receiver.state.failNext = 4;
    receiver.state.failStatus = 503;
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    let at = T + 30_000;
    for (let i = 0; i < 12; i++, at += 60_000) await step(at);
    const firing = hook();
    expect(firing).toHaveLength(1);
    const [row] = await db.sql<{ attempts: number; id: string }[]>`select attempts, id from alert_outbox
      where integration = 'on-call/webhook'`;
    expect(row!.attempts).toBeGreaterThan(1);
    expect(firing[0]!.headers['webhook-id']).toBe(row!.id);
    expect(metrics.notificationsRetried).toBeGreaterThan(0);
    // The resolution comes after the firing notification, never before it.
    await evaluate('g/HighErrorRate', [], at);
    for (let i = 0; i < 8; i++, at += 60_000) await step(at);
    expect(hook().map((m) => m.body.status)).toEqual(['firing', 'resolved']);
  });

  it('a 400 is not retried; the notification is marked failed and counted', async () => {
    receiver.state.failNext = 2;
    receiver.state.failStatus = 400;
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    await step(T + 30_000);
    await step(T + 40_000);
    const rows = await db.sql<
      { failed_at: Date | null; last_error: string }[]
    >`select failed_at, last_error from alert_outbox`;
    expect(rows.filter((r) => r.failed_at)).toHaveLength(2); // the webhook and PagerDuty
    expect(rows[0]!.last_error).toMatch(/HTTP 400/);
    expect(metrics.notificationsFailed).toBe(2);
  });

  it('PagerDuty: a trigger and then a resolve, each with the alert fingerprint as dedup_key; the routing key stays out of the database', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    await step(T + 30_000);
    await evaluate('g/HighErrorRate', [], T + MIN);
    await step(T + 30_000 + 5 * MIN);
    const events = receiver.received.filter((r) => r.path === '/pd').map((r) => r.body);
    expect(events).toEqual([
      expect.objectContaining({
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: fingerprint(checkout),
        payload: expect.objectContaining({
          summary: 'HighErrorRate on checkout',
          severity: 'critical',
          source: 'promptscope',
        }),
      }),
      { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: fingerprint(checkout) },
    ]);
    const stored = await db.sql`select payload::text as p from alert_outbox`;
    expect(stored.map((r) => r.p).join()).not.toContain(ROUTING_KEY);
    expect(JSON.stringify(logs)).not.toContain(ROUTING_KEY);
    expect(JSON.stringify(logs)).not.toContain(receiver.url);
  });

  it('Alertmanager, as Prometheus sends: every active alert each minute with endsAt 4 minutes ahead, under its route prefix; the resolution with its end time for 15 minutes', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    for (const at of [T, T + 30_000, T + MIN, T + 2 * MIN + 1]) await forwarder.tick(at);
    await evaluate('g/HighErrorRate', [], T + 3 * MIN);
    for (const at of [T + 3 * MIN, T + 3 * MIN + 1_000, T + 4 * MIN, T + 19 * MIN]) await forwarder.tick(at);
    const posts = receiver.received.filter((r) => r.path === '/am/api/v2/alerts');
    const sentAt = [T, T + MIN, T + 2 * MIN + 1, T + 3 * MIN, T + 4 * MIN];
    expect(posts).toHaveLength(sentAt.length);
    for (const [i, at] of sentAt.slice(0, 3).entries()) {
      expect(posts[i]!.body).toEqual([
        {
          labels: checkout,
          annotations: { summary: 'HighErrorRate on checkout' },
          startsAt: new Date(T).toISOString(),
          endsAt: new Date(at + 4 * MIN).toISOString(),
          generatorURL: 'https://promptscope.example/dashboards#alerts',
        },
      ]);
    }
    // Resolved: sent at once with its end time, again a minute later, and no more after 15 minutes.
    for (const post of posts.slice(3))
      expect(post.body[0]).toMatchObject({ labels: checkout, endsAt: new Date(T + 3 * MIN).toISOString() });
    expect(metrics.alertmanagerAlertsSent).toBe(5);
  });

  it('Alertmanager unreachable: counted, and the alerts are sent at the next tick once it answers', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    receiver.state.failNext = 1;
    await forwarder.tick(T);
    expect(metrics.alertmanagerSendFailures).toBe(1);
    await forwarder.tick(T + 1_000);
    expect(receiver.received.filter((r) => r.path === '/am/api/v2/alerts')).toHaveLength(1);
  });

  it('inhibition: a paging alert mutes the warning for the same template, not for another', async () => {
    const config = parseNotificationConfig(
      'inhibit.yaml',
      `${CONFIG.replace('alertmanagers:\n  - { url_env: AM_URL }\n', '')}
inhibit_rules:
  - source_matchers: ['severity="page"']
    target_matchers: ['severity="warning"']
    equal: [template]
`,
      {
        HOOK: `${receiver.url}/hook`,
        HOOK_SECRET: SECRET,
        PD_KEY: ROUTING_KEY,
        PD_URL: `${receiver.url}/pd`,
        SLACK_URL: `${receiver.url}/slack`,
      },
    );
    const inhibiting = new Dispatcher({ sql: db.sql, config, log: silentLogger, externalUrl: undefined });
    const page = { alertname: 'HighErrorRate', template: 'checkout', severity: 'page' };
    const warnSame = { alertname: 'LowSuccessRate', template: 'checkout', severity: 'warning' };
    const warnOther = { alertname: 'LowSuccessRate', template: 'search', severity: 'warning' };
    await evaluate('g/HighErrorRate', [page], T);
    await evaluate('g/LowSuccessRate', [warnSame, warnOther], T);
    for (const at of [T, T + 30_000]) {
      await inhibiting.tick(at);
      await outbox.deliverDue(at);
    }
    const slack = receiver.received.filter((r) => r.path === '/slack');
    expect(slack).toHaveLength(1);
    expect(JSON.stringify(slack[0]!.body)).toContain('template=search');
    expect(JSON.stringify(slack[0]!.body)).not.toContain('template=checkout');
    // The page resolves: the warning for checkout is no longer inhibited and is sent at the next group_interval.
    await evaluate('g/HighErrorRate', [], T + MIN);
    await evaluate('g/LowSuccessRate', [warnSame, warnOther], T + MIN);
    await inhibiting.tick(T + 30_000 + 5 * MIN);
    await outbox.deliverDue(T + 30_000 + 5 * MIN);
    const after = receiver.received.filter((r) => r.path === '/slack');
    expect(after).toHaveLength(2);
    expect(JSON.stringify(after[1]!.body)).toContain('template=checkout');
  });

  it('mute_time_intervals: nothing is sent while the interval is active, and the alert is sent once it ends', async () => {
    // T is Monday 2026-01-05 10:00 UTC; the team's warnings are muted 09:00–11:00 on weekdays, Berlin time (10:00–12:00 UTC).
    const config = parseNotificationConfig(
      'mute.yaml',
      `
route:
  receiver: on-call
  group_wait: 0s
  group_interval: 1m
  routes:
    - matchers: ['severity="warning"']
      receiver: team
      mute_time_intervals: [office-meetings]
receivers:
  - name: on-call
  - name: team
    slack_configs: [{ url_env: SLACK_URL }]
time_intervals:
  - name: office-meetings
    time_intervals:
      - weekdays: ['monday:friday']
        times: [{ start_time: '11:00', end_time: '13:00' }]
        location: Europe/Berlin
`,
      { SLACK_URL: `${receiver.url}/slack` },
    );
    const muted = new Dispatcher({ sql: db.sql, config, log: silentLogger, externalUrl: undefined });
    await evaluate(
      'g/UnpricedCalls',
      [{ alertname: 'UnpricedCalls', severity: 'warning', template: 'x' }],
      T,
    );
    for (const at of [T, T + MIN, T + 60 * MIN]) {
      await muted.tick(at);
      await outbox.deliverDue(at);
    }
    expect(receiver.received).toHaveLength(0);
    await muted.tick(T + 2 * 60 * MIN + 1);
    await outbox.deliverDue(T + 2 * 60 * MIN + 1);
    expect(receiver.received.map((r) => r.path)).toEqual(['/slack']);
  });

  it('routes by labels: a warning goes to the team’s Slack (Block Kit), not to the pager', async () => {
    const warning = { alertname: 'UnpricedCalls', model: 'gemini-9', severity: 'warning' };
    await evaluate('g/UnpricedCalls', [warning], T);
    await step(T);
    await step(T + 30_000);
    expect(receiver.received.map((r) => r.path)).toEqual(['/slack']);
    const slack = receiver.received[0]!.body;
    expect(slack.text).toContain('[FIRING:1] UnpricedCalls');
    expect(slack.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '[FIRING:1] UnpricedCalls' },
    });
    expect(slack.blocks[1].text.text).toContain('model=gemini-9');
  });

  it('a silenced alert notifies nobody', async () => {
    await createSilence(db.sql, {
      matchers: [{ name: 'template', op: '=', value: 'checkout' }],
      startsAt: new Date(T - MIN),
      endsAt: new Date(T + 60 * MIN),
      comment: 'deploying',
      createdBy: 'test',
    });
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    await step(T + 30_000);
    await step(T + 10 * MIN);
    expect(receiver.received).toHaveLength(0);
  });

  it('forgets delivered notifications after 7 days and state changes after 90, keeping what is pending', async () => {
    await evaluate('g/HighErrorRate', [checkout], T);
    await step(T);
    await step(T + 30_000);
    receiver.state.failNext = 100;
    await evaluate('g/HighErrorRate', [], T + MIN);
    await step(T + 30_000 + 5 * MIN);
    const count = async () => (await db.sql`select count(*)::int as n from alert_outbox`)[0]!.n;
    const before = await count();
    await pruneAlertRecords(db.sql, Date.now() + KEEP.outboxMs + 60_000);
    // The delivered firing notifications are gone; the resolutions still being retried stay.
    expect(await count()).toBeLessThan(before);
    expect(await db.sql`select status from alert_outbox where delivered_at is not null`).toHaveLength(0);
    expect(
      (await db.sql`select count(*)::int as n from alert_outbox where status = 'resolved'`)[0]!.n,
    ).toBeGreaterThan(0);
    await pruneAlertRecords(db.sql, T + KEEP.historyMs + 10 * MIN);
    expect(await db.sql`select * from alert_history`).toHaveLength(0);
  });
});
