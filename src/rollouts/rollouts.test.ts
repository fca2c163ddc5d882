import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, serveTestApi, type TestApi, testClickHouse } from '../../test/support/api.ts';
import { migrateClickHouse } from '../../test/support/collector.ts';
import { callRows } from '../alerts/rule-tests.ts';
import { rollout } from '../cli/rollout.ts';
import { loadConfig } from '../config.ts';
import { silentLogger } from '../platform/log.ts';
import type { ClickHouseClient } from '../store/clickhouse.ts';
import { advanceRollouts } from './job.ts';

const FAST = {
  steps: [
    { weight: 10, hold: '1m' },
    { weight: 50, hold: '1m' },
  ],
};

describe('guarded rollouts through the API and the job', () => {
  let api: TestApi;
  let client: ClickHouseClient;
  let line = 0;
  /** Calls of one version of a template's production label, `per_minute` over the minutes before `at`. */
  const calls = async (
    template: string,
    version: string,
    at: number,
    o: { per_minute: number; error_share?: number },
  ) => {
    await client.insert({
      table: 'llm_calls',
      format: 'JSONEachRow',
      values: callRows(
        { template, version, label: 'production', from: '0m', to: '4m', service: 'rollout-svc', ...o },
        at - 4 * 60_000,
        line++,
      ),
    });
  };
  const publish = async (name: string, version: string, active = false) => {
    const res = await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name,
        version,
        template_text: `Hello {{who}} (${version})`,
        variables: ['who'],
        is_active: active,
      },
    });
    expect(res.status).toBe(201);
  };
  const label = async (name: string) => (await api.call('GET', `/api/v1/admin/templates/${name}`)).body;
  const history = async (name: string) =>
    (await api.call('GET', `/api/v1/admin/templates/${name}/labels/history?label=production`)).body;

  beforeAll(async () => {
    api = await createTestApi();
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    for (const name of ['ro-bad', 'ro-good', 'ro-misc']) {
      await publish(name, '1.0.0', true);
      await publish(name, '2.0.0');
    }
  });
  afterAll(() => api.close());

  it('a candidate that errs more is rolled back at once: the label, its history, the audit log and an alert say so', async () => {
    const started = await api.call('POST', '/api/v1/admin/rollouts', {
      body: { template: 'ro-bad', candidate: '2.0.0', ...FAST },
    });
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    expect(started.body).toMatchObject({
      state: 'running',
      control: '1.0.0',
      candidate: '2.0.0',
      step: 1,
      candidate_weight: 10,
    });
    const now = Date.now();
    await calls('ro-bad', '1.0.0', now, { per_minute: 100, error_share: 0.02 });
    await calls('ro-bad', '2.0.0', now, { per_minute: 20, error_share: 0.25 });
    await advanceRollouts({ sql: api.sql, clickhouse: client, log: silentLogger }, now);
    const after = (await api.call('GET', `/api/v1/admin/rollouts/${id}`)).body;
    expect(after).toMatchObject({ state: 'rolled_back', candidate_weight: 0 });
    expect(after.reason).toMatch(/^error_rate 0\.25 vs 0\.02 \(limit \+0\.02, p=[\d.e-]+; 80 vs 400 calls\)/);
    const moves = await history('ro-bad');
    expect(
      moves.moves.slice(0, 2).map((m: { moved_by: string; change: string }) => [m.moved_by, m.change]),
    ).toEqual([
      [`rollout:${id}`, '1.0.0 90% / 2.0.0 10% → 1.0.0'],
      [`rollout:${id}`, '1.0.0 → 1.0.0 90% / 2.0.0 10%'],
    ]);
    expect(moves.moves[0].reason).toContain('rolled back to 1.0.0: error_rate 0.25 vs 0.02');
    const alerts = (await api.call('GET', '/api/v1/alerts', { key: api.keys.telemetry })).body.alerts;
    expect(alerts).toContainEqual(
      expect.objectContaining({
        alertname: 'RolloutRolledBack',
        state: 'firing',
        labels: expect.objectContaining({
          template: 'ro-bad',
          label: 'production',
          rollout: id,
          severity: 'warning',
        }),
      }),
    );
    const audit = (await api.call('GET', '/api/v1/admin/audit?resource_type=template&resource_id=ro-bad'))
      .body;
    expect(audit.entries.map((e: { action: string }) => e.action)).toContain('rollout.rollback');
  });

  it('a good candidate steps up after each hold and is promoted; too few calls hold a step', async () => {
    const id = (
      await api.call('POST', '/api/v1/admin/rollouts', {
        body: { template: 'ro-good', candidate: '2.0.0', ...FAST },
      })
    ).body.id as string;
    const t0 = Date.parse((await api.call('GET', `/api/v1/admin/rollouts/${id}`)).body.step_started_at);
    const advance = async (at: number) => {
      await advanceRollouts({ sql: api.sql, clickhouse: client, log: silentLogger }, at);
      return (await api.call('GET', `/api/v1/admin/rollouts/${id}`)).body;
    };
    // Held for a minute, but no calls yet: it waits
    expect(await advance(t0 + 61_000)).toMatchObject({ state: 'running', step: 1 });
    await calls('ro-good', '1.0.0', t0 + 61_000, { per_minute: 100, error_share: 0.02 });
    await calls('ro-good', '2.0.0', t0 + 61_000, { per_minute: 20, error_share: 0.02 });
    expect(await advance(t0 + 61_000)).toMatchObject({ state: 'running', step: 2, candidate_weight: 50 });
    // The next step holds its own minute
    expect(await advance(t0 + 90_000)).toMatchObject({ state: 'running', step: 2 });
    await calls('ro-good', '1.0.0', t0 + 125_000, { per_minute: 50, error_share: 0.02 });
    await calls('ro-good', '2.0.0', t0 + 125_000, { per_minute: 50, error_share: 0.02 });
    const done = await advance(t0 + 125_000);
    expect(done).toMatchObject({ state: 'promoted', candidate_weight: 100 });
    expect(done.verdict.map((v: { outcome: string }) => v.outcome)).toEqual(['pass', 'pass']);
    expect((await label('ro-good')).labels).toMatchObject({ production: '2.0.0' });
  });

  it('a label moved by hand pauses its rollout and says so; resume and abort work by hand', async () => {
    const id = (
      await api.call('POST', '/api/v1/admin/rollouts', {
        body: { template: 'ro-misc', candidate: '2.0.0', ...FAST },
      })
    ).body.id as string;
    const moved = await api.call('PUT', '/api/v1/admin/templates/ro-misc/labels/production', {
      body: { version: '1.0.0', reason: 'hotfix' },
    });
    expect(moved.body).toMatchObject({ moved: true, paused_rollout: id });
    const paused = (await api.call('GET', `/api/v1/rollouts/${id}`, { key: api.keys.reader })).body;
    expect(paused).toMatchObject({ state: 'paused' });
    expect(paused.reason).toMatch(/moved the label by hand/);
    const resumed = await api.call('POST', `/api/v1/admin/rollouts/${id}/resume`);
    expect(resumed.body).toMatchObject({ state: 'running', step: 1, candidate_weight: 10 });
    expect((await history('ro-misc')).moves[0]).toMatchObject({
      moved_by: `rollout:${id}`,
      change: '1.0.0 → 1.0.0 90% / 2.0.0 10%',
    });
    const aborted = await api.call('POST', `/api/v1/admin/rollouts/${id}/abort`, {
      body: { reason: 'not today' },
    });
    expect(aborted.body).toMatchObject({ state: 'aborted', reason: 'not today' });
    expect((await label('ro-misc')).labels).toMatchObject({ production: '1.0.0' });
    expect((await api.call('POST', `/api/v1/admin/rollouts/${id}/pause`)).status).toBe(409);
  });

  it.each([
    ['an unknown version', { template: 'ro-misc', candidate: '9.0.0' }, 404],
    ['the version the label serves', { template: 'ro-misc', candidate: '1.0.0' }, 409],
    [
      'weights that shrink',
      {
        template: 'ro-misc',
        candidate: '2.0.0',
        steps: [
          { weight: 50, hold: '1m' },
          { weight: 10, hold: '1m' },
        ],
      },
      422,
    ],
    [
      'a guard with no limit',
      { template: 'ro-misc', candidate: '2.0.0', guards: [{ figure: 'error_rate' }] },
      422,
    ],
    [
      'an unknown figure',
      { template: 'ro-misc', candidate: '2.0.0', guards: [{ figure: 'vibes', max_ratio: 2 }] },
      422,
    ],
  ])('refuses %s (%d)', async (_case, body, status) => {
    expect((await api.call('POST', '/api/v1/admin/rollouts', { body })).status).toBe(status);
  });

  it('promptscope rollout start, status and abort, through the API', async () => {
    const served = await serveTestApi(api);
    const lines: string[] = [];
    const cli = (argv: string[]) =>
      rollout(loadConfig({}), [...argv, '--url', served.url], (s) => lines.push(s));
    process.env.PROMPTSCOPE_API_KEY = api.keys.admin;
    try {
      expect(
        await cli([
          'start',
          'ro-misc',
          '2.0.0',
          '--step',
          '20:1m',
          '--step',
          '60:1m',
          '--guard',
          'error_rate:+0.05:min=50',
        ]),
      ).toBe(0);
      const id = /^rollout (\d+):/.exec(lines[0]!)![1]!;
      expect(lines[0]).toBe(
        `rollout ${id}: ro-misc (production) 1.0.0 → 2.0.0: running, step 1 of 2 (20% on 2.0.0)`,
      );
      const status = (await api.call('GET', `/api/v1/rollouts/${id}`, { key: api.keys.reader })).body;
      expect(status.guards).toEqual([
        { figure: 'error_rate', max_increase: 0.05, max_ratio: null, min_calls: 50, significance: true },
      ]);
      lines.length = 0;
      expect(await cli(['abort', id, '--reason', 'by the book'])).toBe(0);
      expect(lines.join('\n')).toBe(
        `rollout ${id}: ro-misc (production) 1.0.0 → 2.0.0: aborted\n  by the book`,
      );
      expect(await cli(['abort', id])).toBe(1);
      expect(await cli(['start', 'ro-misc'])).toBe(2);
    } finally {
      delete process.env.PROMPTSCOPE_API_KEY;
      await served.close();
    }
  });

  it('one rollout per label at a time, and only admins start one', async () => {
    const first = await api.call('POST', '/api/v1/admin/rollouts', {
      body: { template: 'ro-misc', candidate: '2.0.0' },
    });
    expect(first.status).toBe(201);
    const second = await api.call('POST', '/api/v1/admin/rollouts', {
      body: { template: 'ro-misc', candidate: '2.0.0' },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toMatch(/split|already has a rollout/);
    await api.call('POST', `/api/v1/admin/rollouts/${first.body.id}/abort`);
    const denied = await api.call('POST', '/api/v1/admin/rollouts', {
      key: api.keys.reader,
      body: { template: 'ro-misc', candidate: '2.0.0' },
    });
    expect(denied.status).toBe(403);
  });
});
