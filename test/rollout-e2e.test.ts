import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_ALERTS } from '../src/config.ts';
import { type RunningPromptscope, startPromptscope } from '../src/testing/promptscope-process.ts';
import { type SampleService, startSampleService } from '../src/testing/sample-service.ts';

/**
 * A guarded rollout as a user lives it: `promptscope start`, a service with the real sdk and @google/genai whose
 * candidate version errs more (the model played by the local wire server), a rollout with its default guards. The
 * candidate is rolled back by the scheduler, on-call hears it through the shipped routes, the label history tells it.
 */
describe('a guarded rollout, end to end', () => {
  let dir: string;
  let ps: RunningPromptscope;
  let service: SampleService;
  const hooks: {
    status: string;
    alerts: { labels: Record<string, string>; annotations: Record<string, string> }[];
  }[] = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      hooks.push(JSON.parse(body));
      res.end('ok');
    });
  });
  const call = (method: string, url: string, body?: unknown) => ps.call(method, url, body);

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-rollout-e2e-'));
    await fs.chmod(dir, 0o755); // embedded Postgres runs as its own user when we are root
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    ps = await startPromptscope(path.join(dir, 'data'), {
      PROMPTSCOPE_ALERT_NOTIFICATIONS: SHIPPED_ALERTS.notifications,
      PROMPTSCOPE_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
    });
    for (const [version, active] of [
      ['1.0.0', true],
      ['1.1.0', false],
    ] as const)
      expect(
        (
          await call('POST', '/api/v1/admin/prompts', {
            name: 'support-answer',
            version,
            template_text: `Answer {{question}} [v=${version}]`,
            variables: ['question'],
            is_active: active,
          })
        ).status,
      ).toBe(201);
    service = await startSampleService({
      serviceName: 'support-bot',
      api: ps.api,
      apiKey: ps.adminKey,
      otlp: ps.otlp,
      template: 'support-answer',
      callsPerSecond: 20,
      cacheTtlSeconds: 2,
      // The candidate errs more and is as fast: the error-rate guard is the one that breaks.
      behaviour: (v) => ({ errorShare: v === '1.1.0' ? 0.4 : 0.01, delayMs: 10 }),
    });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await ps?.stop();
    hook.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('the candidate errs more: rolled back, notified, and the label history tells the story', async () => {
    // Half the traffic on the candidate from the first step, so the guards have their calls within seconds.
    const started = await call('POST', '/api/v1/admin/rollouts', {
      template: 'support-answer',
      candidate: '1.1.0',
      steps: [
        { weight: 50, hold: '10m' },
        { weight: 75, hold: '10m' },
      ],
    });
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    const deadline = Date.now() + 90_000;
    let rollout = started.body;
    while (rollout.state === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      rollout = (await call('GET', `/api/v1/admin/rollouts/${id}`)).body;
    }
    expect(rollout.state).toBe('rolled_back');
    expect(rollout.reason).toMatch(/^error_rate 0\.\d+ vs 0(\.\d+)? \(limit \+0\.02, p=/);
    expect(service.stats().get('support-answer@1.1.0')!.failures).toBeGreaterThan(0);

    const history = (
      await call('GET', '/api/v1/admin/templates/support-answer/labels/history?label=production')
    ).body;
    expect(
      history.moves.slice(0, 2).map((m: { moved_by: string; change: string }) => [m.moved_by, m.change]),
    ).toEqual([
      [`rollout:${id}`, '1.0.0 50% / 1.1.0 50% → 1.0.0'],
      [`rollout:${id}`, '1.0.0 → 1.0.0 50% / 1.1.0 50%'],
    ]);
    expect(history.moves[0].reason).toContain('rolled back to 1.0.0: error_rate');

    // On-call hears it through the shipped route tree (warnings → the team's webhook).
    const until = Date.now() + 60_000;
    let heard: (typeof hooks)[number]['alerts'][number] | undefined;
    while (!heard && Date.now() < until) {
      heard = hooks
        .flatMap((h) => (h.status === 'firing' ? h.alerts : []))
        .find((a) => a.labels.alertname === 'RolloutRolledBack');
      if (!heard) await new Promise((r) => setTimeout(r, 500));
    }
    expect(heard?.labels).toMatchObject({
      template: 'support-answer',
      label: 'production',
      rollout: id,
      severity: 'warning',
    });
    expect(heard?.annotations.summary).toMatch(
      /^1\.1\.0 of support-answer \(label production\) was rolled back to 1\.0\.0: error_rate/,
    );
  }, 180_000);
});
