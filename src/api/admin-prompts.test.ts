import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../../test/support/api.ts';

const SEED_CREATE = {
  name: 'support-answer',
  version: '1.0.0',
  template_text: 'Answer the customer: {{query}}',
  variables: ['query'],
  is_active: true,
  model_config: { provider: 'vertex_ai', model_name: 'gemini-2.5-flash', temperature: 0.7 },
};

describe('admin prompts API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ maxBodyBytes: 64 * 1024 });
  });
  afterAll(() => api.close());

  it("creates a version from the seed's request verbatim and returns it with id and name", async () => {
    const res = await api.call('POST', '/api/v1/admin/prompts', { body: SEED_CREATE });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'support-answer',
      version: '1.0.0',
      template_text: 'Answer the customer: {{query}}',
      variables: ['query'],
      variable_definitions: [{ name: 'query', type: 'string', required: true }],
      is_active: true,
      labels: ['latest', 'production'],
      model_config: SEED_CREATE.model_config,
      created_by: expect.stringContaining('test-admin'),
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('location')).toBe(`/api/v1/admin/prompts/${res.body.id}`);

    const got = await api.call('GET', `/api/v1/admin/prompts/${res.body.id}`);
    expect(got.status).toBe(200);
    // The single-version view adds the version's figures; this file's ClickHouse has no tables, and the registry
    // answers all the same, with none.
    expect(got.body).toEqual({ ...res.body, stats: null });
  });

  it('numbers versions automatically when no version is given, and moves latest', async () => {
    const a = await api.call('POST', '/api/v1/admin/prompts', {
      body: { name: 'auto', template_text: 'v1 {{x}}', variables: [{ name: 'x', type: 'number' }] },
    });
    const b = await api.call('POST', '/api/v1/admin/prompts', {
      body: { name: 'auto', template_text: 'v2', commit_message: 'drop x' },
    });
    expect([a.body.version, b.body.version]).toEqual(['1', '2']);
    expect(b.body.labels).toEqual(['latest']);
    expect((await api.call('GET', `/api/v1/admin/prompts/${a.body.id}`)).body.labels).toEqual([]);
  });

  it('stores chat messages, typed variables and guardrails with the version', async () => {
    const res = await api.call('POST', '/api/v1/admin/prompts', {
      body: {
        name: 'chat',
        messages: [
          { role: 'system', content: 'You are terse. Limit: {{limit}}' },
          { role: 'user', content: '{{question}}' },
        ],
        variables: [
          { name: 'limit', type: 'number', required: false, default: 3 },
          { name: 'question', type: 'string' },
        ],
        guardrails: [{ type: 'pii', name: 'no-pii', action: 'redact' }],
        description: 'chat prompt',
        tags: ['support', 'beta'],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.template_text).toBeNull();
    expect(res.body.messages).toHaveLength(2);
    expect(res.body.guardrails).toEqual([
      {
        type: 'pii',
        name: 'no-pii',
        action: 'redact',
        applies_to: 'input',
        kinds: ['email', 'phone', 'card_number'],
      },
    ]);
    expect(res.body.tags).toEqual(['support', 'beta']);
  });

  it('lists versions with {templates, total}, filtered by name, tag and label, paginated', async () => {
    const all = await api.call('GET', '/api/v1/admin/prompts?limit=2');
    expect(all.status).toBe(200);
    expect(all.body.templates).toHaveLength(2);
    expect(all.body.total).toBeGreaterThanOrEqual(4);
    const byName = await api.call('GET', '/api/v1/admin/prompts?name=auto');
    expect(byName.body.templates.map((t: { version: string }) => t.version)).toEqual(['2', '1']);
    expect(byName.body.total).toBe(2);
    const byTag = await api.call('GET', '/api/v1/admin/prompts?tag=beta');
    expect(byTag.body.templates.map((t: { name: string }) => t.name)).toEqual(['chat']);
    const byLabel = await api.call('GET', '/api/v1/admin/prompts?label=production');
    expect(byLabel.body.templates.map((t: { name: string }) => t.name)).toEqual(['support-answer']);
    const page2 = await api.call('GET', '/api/v1/admin/prompts?name=auto&limit=1&offset=1');
    expect(page2.body.templates.map((t: { version: string }) => t.version)).toEqual(['1']);
  });

  it('refuses a duplicate name + version with 409', async () => {
    const res = await api.call('POST', '/api/v1/admin/prompts', { body: SEED_CREATE });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'conflict',
      message: "template 'support-answer' already has version '1.0.0'",
    });
  });

  it('concurrent creates of the same version yield one row and conflicts', async () => {
    const body = { ...SEED_CREATE, name: 'race', version: '2.0.0' };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => api.call('POST', '/api/v1/admin/prompts', { body })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const [row] =
      await api.sql`select count(*)::int as n from template_versions v join templates t on t.id = v.template_id where t.name = 'race'`;
    expect(row?.n).toBe(1);
  });

  it('concurrent creates without a version get distinct numbers', async () => {
    const body = { name: 'race-auto', template_text: 'hi' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api.call('POST', '/api/v1/admin/prompts', { body })),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(results.map((r) => Number(r.body.version)).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    [
      'a variable used but not declared',
      { name: 'bad', template_text: 'Hi {{name}} {{day}}', variables: ['name'] },
      'declared variables do not match the template',
      [{ field: 'variables', message: 'used but not declared: day' }],
    ],
    [
      'a variable declared but never used',
      { name: 'bad', template_text: 'Hi', variables: ['name'] },
      'declared variables do not match the template',
      [{ field: 'variables', message: 'declared but never used: name' }],
    ],
    [
      'a malformed placeholder',
      { name: 'bad', template_text: 'Hi {{ first name }}' },
      'the template has malformed placeholders',
      [{ field: 'template_text', message: expect.stringContaining('is not a variable') }],
    ],
    [
      'both text and messages',
      { name: 'bad', template_text: 'a', messages: [{ role: 'user', content: 'b' }] },
      'give exactly one of template_text or messages',
      [{ field: 'template_text', message: expect.any(String) }],
    ],
    [
      'a wrong type and an unknown field',
      { name: 'bad', template_text: 5, colour: 'red' },
      'invalid request body',
      expect.arrayContaining([
        { field: 'template_text', message: expect.stringContaining('string') },
        { field: 'colour', message: 'unknown field' },
      ]),
    ],
    [
      'a version that is not semver',
      { name: 'bad', version: 'v1', template_text: 'a' },
      'invalid request body',
      [{ field: 'version', message: expect.stringContaining('semantic version') }],
    ],
    [
      'a bad guardrail pattern',
      {
        name: 'bad',
        template_text: 'a',
        guardrails: [{ type: 'blocked_pattern', name: 'x', action: 'block', patterns: ['('] }],
      },
      'invalid request body',
      [
        {
          field: 'guardrails.0.patterns.0',
          message: expect.stringContaining('not a valid RE2 regular expression'),
        },
      ],
    ],
    [
      'setting the automatic latest label',
      { name: 'bad', template_text: 'a', labels: ['latest'] },
      "'latest' is maintained automatically",
      [{ field: 'labels', message: expect.any(String) }],
    ],
  ])('answers 422 naming the field for %s', async (_, body, message, fields) => {
    const res = await api.call('POST', '/api/v1/admin/prompts', { body });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toBe(message);
    expect(res.body.error.details.fields).toEqual(fields);
  });

  it('answers 400 for malformed JSON, 415 for another content type, 413 for an oversized body', async () => {
    const malformed = await api.call('POST', '/api/v1/admin/prompts', { body: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toEqual({
      code: 'bad_request',
      message: 'request body is not valid JSON',
      details: null,
    });
    const text = await api.call('POST', '/api/v1/admin/prompts', {
      body: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    const big = await api.call('POST', '/api/v1/admin/prompts', {
      body: { name: 'big', template_text: 'x'.repeat(70 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'payload_too_large', details: { limit_bytes: 65536 } });
  });

  it('answers 404 for an unknown id, in the one error shape', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      const res = await api.call('GET', `/api/v1/admin/prompts/${id}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        error: { code: 'not_found', message: `template version '${id}' not found`, details: null },
      });
    }
  });

  describe('test rendering', () => {
    it("renders the seed's test request and reports found, missing and unused variables", async () => {
      const res = await api.call('POST', '/api/v1/admin/prompts/test', {
        body: {
          template_text: 'Summarise {{doc}} in {{n}} words for {{audience}}',
          variables: { doc: 'the report', n: 50, tone: 'dry' },
          model_config: { provider: 'mock', model_name: 'mock-1' },
        },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        valid: false,
        rendered_prompt: 'Summarise the report in 50 words for {{audience}}',
        rendered_messages: null,
        variables_found: ['doc', 'n', 'audience'],
        missing_variables: ['audience'],
        unused_variables: ['tone'],
        type_errors: [],
        model_config: { provider: 'mock', model_name: 'mock-1' },
        source: null,
      });
    });

    it('renders a stored version by name and label with its typed declarations', async () => {
      const ok = await api.call('POST', '/api/v1/admin/prompts/test', {
        body: { name: 'support-answer', label: 'production', variables: { query: 'where is my order?' } },
      });
      expect(ok.body).toMatchObject({
        valid: true,
        rendered_prompt: 'Answer the customer: where is my order?',
        source: { name: 'support-answer', version: '1.0.0' },
      });
      const wrong = await api.call('POST', '/api/v1/admin/prompts/test', {
        body: { name: 'support-answer', variables: { query: 42 } },
      });
      expect(wrong.body).toMatchObject({
        valid: false,
        type_errors: [{ name: 'query', message: 'expected a string, got number 42' }],
      });
    });

    it('answers 404 for a stored template that does not exist', async () => {
      const res = await api.call('POST', '/api/v1/admin/prompts/test', { body: { name: 'nope' } });
      expect(res.status).toBe(404);
    });
  });

  describe('auth', () => {
    it('answers 401 without a key, with a malformed key, and with an unknown key', async () => {
      for (const key of [null, 'nonsense', `psk_000000000000_${'a'.repeat(43)}`]) {
        const res = await api.call('GET', '/api/v1/admin/prompts', { key });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
      }
    });

    it('answers 403 when a prompts:read key publishes or calls an admin endpoint, and lets it read prompts', async () => {
      const keys = await api.call('GET', '/api/v1/admin/keys', { key: api.keys.reader });
      expect(keys.status).toBe(403);
      expect(keys.body.error.message).toBe("this API key lacks the 'admin' scope");
      const admin = await api.call('POST', '/api/v1/admin/prompts', {
        key: api.keys.reader,
        body: { name: 'nope', template_text: 'x' },
      });
      expect(admin.status).toBe(403);
      expect(admin.body.error).toMatchObject({
        code: 'forbidden',
        message: "this API key lacks the 'prompts:write' scope",
      });
      const read = await api.call('GET', '/api/v1/prompts/support-answer', { key: api.keys.reader });
      expect(read.status).toBe(200);
      const versions = await api.call('GET', '/api/v1/admin/prompts', { key: api.keys.reader });
      expect(versions.status).toBe(200);
    });

    it('an admin creates a key shown once, lists it without its secret, and a revoked key stops working', async () => {
      const created = await api.call('POST', '/api/v1/admin/keys', {
        body: { name: 'svc', scopes: ['prompts:read'] },
      });
      expect(created.status).toBe(201);
      expect(created.body.key).toMatch(/^psk_[0-9a-f]{12}_/);
      const listed = await api.call('GET', '/api/v1/admin/keys');
      expect(JSON.stringify(listed.body)).not.toContain(created.body.key.slice(18));
      expect(listed.body.keys.map((k: { name: string }) => k.name)).toContain('svc');
      expect(
        (await api.call('GET', '/api/v1/prompts/support-answer', { key: created.body.key })).status,
      ).toBe(200);
      const revoked = await api.call('DELETE', `/api/v1/admin/keys/${created.body.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked_at).not.toBeNull();
      const after = await api.call('GET', '/api/v1/prompts/support-answer', { key: created.body.key });
      expect(after.status).toBe(401);
      expect(after.body.error.message).toBe('this API key has been revoked');
    });

    it('stores keys only as hashes', async () => {
      const rows = await api.sql`select secret_hash from api_keys`;
      for (const r of rows) expect(r.secret_hash).toHaveLength(32);
      const text = JSON.stringify(await api.sql`select * from api_keys`);
      expect(text).not.toContain(api.keys.admin.slice(18));
    });
  });

  it('records who changed what in the audit log', async () => {
    const res = await api.call('GET', '/api/v1/admin/audit?resource_id=support-answer');
    expect(res.status).toBe(200);
    expect(res.body.entries[0]).toMatchObject({
      actor: expect.stringContaining('test-admin'),
      action: 'version.create',
      resource_type: 'template',
      details: { version: '1.0.0', labels: ['latest', 'production'] },
    });
  });
});
