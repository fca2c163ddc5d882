import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../../test/support/api.ts';

describe('managing templates: labels, rollback, diff, history, archive', () => {
  let api: TestApi;
  const publish = (body: Record<string, unknown>) =>
    api.call('POST', '/api/v1/admin/prompts', { body: { name: 'greeting', ...body } });

  beforeAll(async () => {
    api = await createTestApi();
    await publish({
      template_text: 'Hello {{name}}',
      variables: ['name'],
      is_active: true,
      model_config: { provider: 'vertex_ai', model_name: 'gemini-2.5-flash', temperature: 0.7 },
    });
    await publish({
      template_text: 'Hello {{name}}\nHow can I help?',
      variables: ['name'],
      model_config: { provider: 'vertex_ai', model_name: 'gemini-2.5-flash', temperature: 0.2 },
      commit_message: 'offer help',
    });
    await api.call('POST', '/api/v1/admin/prompts', {
      body: { name: 'order-status', template_text: 'Where is it?', tags: ['shipping'] },
    });
  });
  afterAll(() => api.close());

  it('summarises a template with its labels', async () => {
    const res = await api.call('GET', '/api/v1/admin/templates/greeting');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'greeting',
      version_count: 2,
      archived: false,
      labels: { latest: '2', production: '1' },
    });
  });

  it.each([
    ['', ['greeting', 'order-status']],
    ['GREET', ['greeting']],
    ['shipping', ['order-status']],
    ['100%', []],
  ])('lists templates by name, searching name, description and tags for %j', async (search, names) => {
    const res = await api.call('GET', `/api/v1/admin/templates?search=${encodeURIComponent(search)}`);
    expect(res.status).toBe(200);
    expect(res.body.templates.map((t: { name: string }) => t.name)).toEqual(names);
    expect(res.body.total).toBe(names.length);
    if (names[0] === 'greeting')
      expect(res.body.templates[0]).toMatchObject({
        version_count: 2,
        latest_version: '2',
        labels: { latest: '2', production: '1' },
        archived: false,
        updated_at: expect.any(String),
      });
  });

  it('tells a key who it is and what it may do (GET /api/v1/me), whatever its scopes', async () => {
    const res = await api.call('GET', '/api/v1/me', { key: api.keys.telemetry });
    expect(res.body).toEqual({ id: expect.any(String), name: 'test-telemetry', scopes: ['telemetry:read'] });
    expect((await api.call('GET', '/api/v1/me', { key: null })).status).toBe(401);
  });

  it('lists every version newest first', async () => {
    const res = await api.call('GET', '/api/v1/admin/templates/greeting/versions');
    expect(res.body.versions.map((v: { version: string }) => v.version)).toEqual(['2', '1']);
  });

  it('diffs two versions: text line by line and changed fields', async () => {
    const res = await api.call('GET', '/api/v1/admin/templates/greeting/diff?from=1&to=2');
    expect(res.status).toBe(200);
    expect(res.body.identical).toBe(false);
    expect(res.body.text).toMatchObject({
      unified: '@@ -1 +1,2 @@\n Hello {{name}}\n+How can I help?',
      added: 1,
      removed: 0,
      approximate: false,
    });
    expect(res.body.text.hunks).toEqual([
      {
        old_start: 1,
        old_lines: 1,
        new_start: 1,
        new_lines: 2,
        lines: [' Hello {{name}}', '+How can I help?'],
      },
    ]);
    expect(res.body.fields.model_config).toEqual({
      from: { provider: 'vertex_ai', model_name: 'gemini-2.5-flash', temperature: 0.7 },
      to: { provider: 'vertex_ai', model_name: 'gemini-2.5-flash', temperature: 0.2 },
    });
    expect(res.body.fields.commit_message).toEqual({ from: '', to: 'offer help' });
    const byLabel = await api.call('GET', '/api/v1/admin/templates/greeting/diff?from=production&to=latest');
    expect(byLabel.body.from.version).toBe('1');
    expect(byLabel.body.to.version).toBe('2');
  });

  it('diffs two 20,000-line versions in hunks (a table of every line pair would take gigabytes)', async () => {
    const text = (edit: boolean) =>
      Array.from({ length: 20_000 }, (_, i) =>
        edit && i % 100 === 0 ? `edited ${i}` : `line ${i} {{name}}`,
      ).join('\n');
    for (const [version, edit] of [
      ['1.0.0', false],
      ['2.0.0', true],
    ] as const) {
      const res = await api.call('POST', '/api/v1/admin/prompts', {
        body: { name: 'long-prompt', version, template_text: text(edit), variables: ['name'] },
      });
      expect(res.status).toBe(201);
    }
    const res = await api.call('GET', '/api/v1/admin/templates/long-prompt/diff?from=1.0.0&to=2.0.0');
    expect(res.status).toBe(200);
    expect(res.body.text).toMatchObject({ added: 200, removed: 200, approximate: false });
    expect(res.body.text.hunks).toHaveLength(200);
    expect(res.body.text.unified.split('\n').slice(0, 3)).toEqual([
      '@@ -1,4 +1,4 @@',
      '-line 0 {{name}}',
      '+edited 0',
    ]);
  });

  it('promotes with a label move, rolls back by moving it again, and keeps every move', async () => {
    const promote = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/production', {
      body: { version: '2', reason: 'ship help offer' },
    });
    expect(promote.status).toBe(200);
    expect(promote.body).toMatchObject({
      label: 'production',
      version: '2',
      previous_version: '1',
      moved: true,
    });
    expect((await api.call('GET', '/api/v1/prompts/greeting')).body.version).toBe('2');

    const rollback = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/production', {
      body: { version: '1', reason: 'error rate up' },
    });
    expect(rollback.body).toMatchObject({ version: '1', previous_version: '2' });
    expect((await api.call('GET', '/api/v1/prompts/greeting')).body.version).toBe('1');

    const history = await api.call('GET', '/api/v1/admin/templates/greeting/labels/history?label=production');
    expect(
      history.body.moves.map((m: { from_version: string | null; to_version: string; reason: string }) => [
        m.from_version,
        m.to_version,
        m.reason,
      ]),
    ).toEqual([
      ['2', '1', 'error rate up'],
      ['1', '2', 'ship help offer'],
      [null, '1', 'published'],
    ]);
  });

  it('custom labels can be set and removed; latest cannot be moved by hand', async () => {
    expect(
      (await api.call('PUT', '/api/v1/admin/templates/greeting/labels/canary', { body: { version: '2' } }))
        .status,
    ).toBe(200);
    expect((await api.call('GET', '/api/v1/prompts/greeting?label=canary')).body.version).toBe('2');
    expect((await api.call('DELETE', '/api/v1/admin/templates/greeting/labels/canary')).status).toBe(204);
    expect((await api.call('GET', '/api/v1/prompts/greeting?label=canary')).status).toBe(404);
    const latest = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/latest', {
      body: { version: '1' },
    });
    expect(latest.status).toBe(422);
    const badName = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/Not%20OK', {
      body: { version: '1' },
    });
    expect(badName.status).toBe(422);
    expect(badName.body.error.details.fields[0].field).toBe('label');
  });

  it('splits a label between versions by weight for A/B tests, and the read path lists the variants', async () => {
    const split = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/experiment', {
      body: {
        split: [
          { version: '1', weight: 90 },
          { version: '2', weight: 10 },
        ],
        reason: 'try help offer on 10%',
      },
    });
    expect(split.status).toBe(200);
    expect(split.body).toMatchObject({
      version: '1',
      split: [
        { version: '1', weight: 90 },
        { version: '2', weight: 10 },
      ],
    });
    const read = await api.call('GET', '/api/v1/prompts/greeting?label=experiment');
    expect(read.body.version).toBe('1');
    expect(
      read.body.variants.map((v: { version: string; weight: number; template_text: string }) => [
        v.version,
        v.weight,
        v.template_text,
      ]),
    ).toEqual([
      ['1', 90, 'Hello {{name}}'],
      ['2', 10, 'Hello {{name}}\nHow can I help?'],
    ]);
    const history = await api.call('GET', '/api/v1/admin/templates/greeting/labels/history?label=experiment');
    expect(history.body.moves[0].split).toHaveLength(2);
    // The split is visible where the label is: the template's summary and each version it serves.
    const summary = await api.call('GET', '/api/v1/admin/templates/greeting');
    expect(summary.body.labels.experiment).toBe('1');
    expect(summary.body.splits).toEqual({
      experiment: [
        { version: '1', weight: 90 },
        { version: '2', weight: 10 },
      ],
    });
    const versions = await api.call('GET', '/api/v1/admin/templates/greeting/versions');
    expect(
      versions.body.versions.map((v: { version: string; split_labels: unknown }) => [
        v.version,
        v.split_labels,
      ]),
    ).toEqual([
      ['2', [{ label: 'experiment', weight: 10 }]],
      ['1', [{ label: 'experiment', weight: 90 }]],
    ]);
    const end = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/experiment', {
      body: { version: '2' },
    });
    expect(end.body.split).toBeNull();
    // Each history row says what changed, the split included (the control version alone did not change).
    const moves = (await api.call('GET', '/api/v1/admin/templates/greeting/labels/history?label=experiment'))
      .body.moves as { change: string }[];
    expect(moves.map((m) => m.change)).toEqual(['1 90% / 2 10% → 2', '(none) → 1 90% / 2 10%']);
    expect((await api.call('GET', '/api/v1/admin/templates/greeting')).body.splits).toEqual({});
    expect(
      (await api.call('GET', '/api/v1/prompts/greeting?label=experiment')).body.variants,
    ).toBeUndefined();
  });

  it.each([
    [{ split: [{ version: '1', weight: 100 }] }, 'split'],
    [
      {
        split: [
          { version: '1', weight: 50 },
          { version: '1', weight: 50 },
        ],
      },
      'split',
    ],
    [
      {
        version: '1',
        split: [
          { version: '1', weight: 1 },
          { version: '2', weight: 1 },
        ],
      },
      'version',
    ],
    [
      {
        split: [
          { version: '1', weight: 0 },
          { version: '2', weight: 1 },
        ],
      },
      'split.0.weight',
    ],
  ])('refuses a bad split %j with 422 naming %s', async (body, field) => {
    const res = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/experiment', { body });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('answers 404 naming what is missing', async () => {
    const version = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/production', {
      body: { version: '9' },
    });
    expect(version.status).toBe(404);
    expect(version.body.error.message).toBe("version '9' of template 'greeting' not found");
    const template = await api.call('GET', '/api/v1/admin/templates/nope/versions');
    expect(template.body.error.message).toBe("template 'nope' not found");
  });

  it('archiving keeps versions readable and refuses new versions and label moves until unarchived', async () => {
    expect((await api.call('POST', '/api/v1/admin/templates/greeting/archive')).body.archived).toBe(true);
    expect((await api.call('GET', '/api/v1/prompts/greeting')).status).toBe(200);
    expect((await api.call('GET', '/api/v1/admin/prompts?name=greeting')).body.total).toBe(0);
    expect(
      (await api.call('GET', '/api/v1/admin/prompts?name=greeting&include_archived=true')).body.total,
    ).toBe(2);
    const blocked = await publish({ template_text: 'Hi {{name}}', variables: ['name'] });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.message).toContain('archived');
    const move = await api.call('PUT', '/api/v1/admin/templates/greeting/labels/production', {
      body: { version: '2' },
    });
    expect(move.status).toBe(409);
    expect((await api.call('POST', '/api/v1/admin/templates/greeting/unarchive')).body.archived).toBe(false);
    expect((await publish({ template_text: 'Hi {{name}}', variables: ['name'] })).status).toBe(201);
  });

  it('global guardrails apply to every template and are validated', async () => {
    const bad = await api.call('POST', '/api/v1/admin/guardrails', {
      body: { type: 'pii', name: 'x', action: 'explode' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields[0].field).toBe('action');
    const created = await api.call('POST', '/api/v1/admin/guardrails', {
      body: { type: 'max_length', name: 'cap', action: 'block', max_chars: 2000 },
    });
    expect(created.status).toBe(201);
    const read = await api.call('GET', '/api/v1/prompts/greeting');
    expect(read.body.guardrails).toContainEqual({
      type: 'max_length',
      name: 'cap',
      action: 'block',
      max_chars: 2000,
      applies_to: 'input',
      scope: 'global',
    });
    expect((await api.call('DELETE', `/api/v1/admin/guardrails/${created.body.id}`)).status).toBe(204);
    expect((await api.call('GET', '/api/v1/prompts/greeting')).body.guardrails).toEqual([]);
  });
});
