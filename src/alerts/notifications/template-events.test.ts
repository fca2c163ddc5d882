// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, testClickHouse } from '../../../test/support/api.ts';
import { migrateClickHouse } from '../../../test/support/collector.ts';
import { startReceiver } from '../../../test/support/webhook-receiver.ts';
import { silentLogger } from '../../platform/log.ts';
import { AlertMetrics } from '../metrics.ts';
import { parseNotificationConfig } from './config.ts';
import { OutboxSender } from './outbox.ts';
import { routeTemplateEvents } from './template-event-router.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

// On-call's catch-all and PagerDuty never hear a template change; the deploy pipeline hears every one, Slack only
// the production label's moves.
const CONFIG = `
route:
  receiver: on-call
  routes:
    - matchers: ['event=~"template\\\\..*"']
      receiver: deploys
      continue: true
    - matchers: ['event="template.label.moved"', 'label="production"']
      receiver: chat
receivers:
  - name: on-call
    webhook_configs: [{ url_env: ONCALL }]
  - name: deploys
    webhook_configs: [{ url_env: DEPLOYS, secret_env: DEPLOYS_SECRET }]
    pagerduty_configs: [{ routing_key_env: PD_KEY, url_env: PD_URL }]
  - name: chat
    slack_configs: [{ url_env: SLACK }]
`;

describe('template change events: publishing and moving a label are told through the notification routes', () => {
  let api: TestApi;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const deliver = async () => {
    const config = parseNotificationConfig('test.yaml', CONFIG, {
      ONCALL: `${receiver.url}/on-call`,
      DEPLOYS: `${receiver.url}/deploys`,
      DEPLOYS_SECRET: SECRET,
      PD_KEY: 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12',
      PD_URL: `${receiver.url}/pd`,
      SLACK: `${receiver.url}/slack`,
    });
    const now = Date.now();
    const queued = await routeTemplateEvents(api.sql, config, silentLogger, 'https://ps.example', now);
    const outbox = new OutboxSender({ sql: api.sql, config, log: silentLogger, metrics: new AlertMetrics() });
    // One notification per integration and template is in flight at a time (they arrive in order): send until done.
    while ((await outbox.deliverDue(now)) > 0);
    return queued;
  };

  beforeAll(async () => {
    await migrateClickHouse((await testClickHouse()).client);
    api = await createTestApi();
    receiver = await startReceiver();
    const admin = { key: api.keys.admin };
    await api.call('POST', '/api/v1/admin/prompts', {
      ...admin,
      body: { name: 'support-reply', template_text: 'v1', commit_message: 'first', labels: ['production'] },
    });
    await api.call('POST', '/api/v1/admin/prompts', {
      ...admin,
      body: { name: 'support-reply', template_text: 'v2', commit_message: 'shorter answers' },
    });
    await api.call('PUT', '/api/v1/admin/templates/support-reply/labels/production', {
      ...admin,
      body: { version: '2', reason: 'v2 wins the A/B' },
    });
    await api.call('PUT', '/api/v1/admin/templates/support-reply/labels/staging', {
      ...admin,
      body: {
        split: [
          { version: '1', weight: 90 },
          { version: '2', weight: 10 },
        ],
      },
    });
  });
  afterAll(async () => {
    await receiver.close();
    await api.close();
  });

  it('sends the deploy webhook every change in order, in the Standard Webhooks event shape, signed', async () => {
    expect(await deliver()).toBe(7);
    const deploys = receiver.received.filter((r) => r.path === '/deploys');
    const actor = expect.stringContaining('test-admin');
    expect(deploys.map((r) => r.body)).toEqual([
      {
        type: 'template.version.published',
        timestamp: expect.any(String),
        data: expect.objectContaining({
          template: 'support-reply',
          actor,
          version: '1',
          labels: ['latest', 'production'],
          commit_message: 'first',
          url: 'https://ps.example/dashboards#templates/support-reply',
        }),
      },
      {
        type: 'template.label.moved',
        timestamp: expect.any(String),
        data: expect.objectContaining({ label: 'production', from_version: null, to_version: '1', actor }),
      },
      expect.objectContaining({
        type: 'template.version.published',
        data: expect.objectContaining({
          version: '2',
          labels: ['latest'],
          commit_message: 'shorter answers',
        }),
      }),
      expect.objectContaining({
        type: 'template.label.moved',
        data: expect.objectContaining({
          label: 'production',
          from_version: '1',
          to_version: '2',
          split: null,
          reason: 'v2 wins the A/B',
        }),
      }),
      expect.objectContaining({
        type: 'template.label.moved',
        data: expect.objectContaining({
          label: 'staging',
          to_version: '1',
          split: [
            { version: '1', weight: 90 },
            { version: '2', weight: 10 },
          ],
        }),
      }),
    ]);
    for (const r of deploys) expect(() => new Webhook(SECRET).verify(r.raw, r.headers as any)).not.toThrow();
  });

  it('tells Slack only what its route matches, as a sentence; on-call and PagerDuty hear nothing', async () => {
    expect(receiver.received.filter((r) => r.path === '/slack').map((r) => r.body.text)).toEqual([
      expect.stringMatching(/^support-reply label production → 1 by key:.*test-admin.* \(published\)$/),
      expect.stringMatching(/^support-reply label production from 1 → 2 by key:.* \(v2 wins the A\/B\)$/),
    ]);
    expect(receiver.received.filter((r) => r.path === '/on-call' || r.path === '/pd')).toEqual([]);
  });

  it('routes each event once: a second pass queues nothing', async () => {
    const before = receiver.received.length;
    expect(await deliver()).toBe(0);
    expect(receiver.received.length).toBe(before);
  });
});
