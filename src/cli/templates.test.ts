import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestApi, serveTestApi, type TestApi } from '../../test/support/api.ts';
import { createApiKey } from '../auth/key-store.ts';
import { loadConfig } from '../config.ts';
import { templates } from './templates.ts';

describe('prompts as code: promptscope templates pull, diff, push', () => {
  let api: TestApi;
  let served: { url: string; close: () => Promise<void> };
  let dir: string;
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await templates(loadConfig({}), [...argv, '--url', served.url], (s) => lines.push(s));
    return { code, out: lines };
  };

  beforeAll(async () => {
    api = await createTestApi();
    served = await serveTestApi(api);
    process.env.PROMPTSCOPE_API_KEY = api.keys.admin;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prompts-as-code-'));
    for (const body of [
      { version: '1.0.0', template_text: 'Answer {{question}}', is_active: true },
      {
        version: '1.1.0',
        template_text: 'Answer briefly:\n{{question}}\n',
        commit_message: 'shorter answers',
        model_config: { provider: 'gcp.gemini', model_name: 'gemini-2.5-flash', temperature: 0.2 },
        guardrails: [
          { name: 'short', type: 'max_length', max_chars: 2000, action: 'block', applies_to: 'output' },
        ],
      },
    ])
      expect(
        (
          await api.call('POST', '/api/v1/admin/prompts', {
            body: { name: 'faq', variables: ['question'], ...body },
          })
        ).status,
      ).toBe(201);
    const split = await api.call('PUT', '/api/v1/admin/templates/faq/labels/staging', {
      body: {
        split: [
          { version: '1.0.0', weight: 50 },
          { version: '1.1.0', weight: 50 },
        ],
        reason: 'try it',
      },
    });
    expect(split.status).toBe(200);
  });
  afterAll(async () => {
    delete process.env.PROMPTSCOPE_API_KEY;
    await served.close();
    await api.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('pull writes one readable file per version and the labels, and the folder then agrees with the registry', async () => {
    expect(await run('pull', dir)).toEqual({ code: 0, out: [`pulled 1 templates, 2 versions into ${dir}`] });
    const text = await fs.readFile(path.join(dir, 'faq', '1.1.0.yaml'), 'utf8');
    expect(text).toContain('template_text: |\n  Answer briefly:\n  {{question}}\n');
    expect(parse(text)).toMatchObject({
      version: '1.1.0',
      commit_message: 'shorter answers',
      model_config: { model_name: 'gemini-2.5-flash', temperature: 0.2 },
      guardrails: [{ type: 'max_length', max_chars: 2000 }],
    });
    expect(parse(await fs.readFile(path.join(dir, 'faq', 'labels.yaml'), 'utf8'))).toEqual({
      production: '1.0.0',
      staging: {
        split: [
          { version: '1.0.0', weight: 50 },
          { version: '1.1.0', weight: 50 },
        ],
      },
    });
    expect(await run('diff', dir)).toEqual({ code: 0, out: [`${dir} and the registry agree`] });
  });

  it('push publishes a new version file and moves a label, after a dry run that changes nothing', async () => {
    await fs.writeFile(
      path.join(dir, 'faq', '1.2.0.yaml'),
      'version: 1.2.0\ncommit_message: cite sources\ntemplate_text: "Answer {{question}} and cite your sources"\nvariables: [question]\n',
    );
    await fs.writeFile(
      path.join(dir, 'faq', 'labels.yaml'),
      'production: 1.2.0\nstaging: { split: [{ version: 1.0.0, weight: 50 }, { version: 1.1.0, weight: 50 }] }\n',
    );
    const planned = ['+ faq 1.2.0: new version', '~ faq production: 1.0.0 → 1.2.0'];
    expect(await run('diff', dir)).toEqual({ code: 0, out: planned });
    expect(await run('push', dir, '--dry-run')).toEqual({
      code: 0,
      out: [...planned, 'dry run: nothing was changed'],
    });
    expect((await api.call('GET', '/api/v1/admin/templates/faq')).body.labels.production).toBe('1.0.0');
    expect(await run('push', dir)).toEqual({
      code: 0,
      out: [...planned, 'pushed: 1 versions published, 1 labels moved'],
    });
    const summary = (await api.call('GET', '/api/v1/admin/templates/faq')).body;
    expect(summary.labels.production).toBe('1.2.0');
    const history = (await api.call('GET', '/api/v1/admin/templates/faq/labels/history?label=production'))
      .body;
    expect(history.moves[0]).toMatchObject({ change: '1.0.0 → 1.2.0', reason: 'promptscope templates push' });
    expect(await run('diff', dir)).toEqual({ code: 0, out: [`${dir} and the registry agree`] });
  });

  it('an edited published version is refused, and nothing else in the push happens either', async () => {
    const file = path.join(dir, 'faq', '1.0.0.yaml');
    await fs.writeFile(
      file,
      (await fs.readFile(file, 'utf8')).replace('Answer {{question}}', 'Reply to {{question}}'),
    );
    await fs.writeFile(
      path.join(dir, 'faq', '1.3.0.yaml'),
      'version: 1.3.0\ntemplate_text: "Hi {{question}}"\nvariables: [question]\n',
    );
    const diff = await run('diff', dir);
    expect(diff.out).toEqual([
      '! faq 1.0.0: edited (template_text): published versions are immutable; add it as a new version',
      '+ faq 1.3.0: new version',
    ]);
    expect((await run('push', dir)).code).toBe(1);
    const versions = (await api.call('GET', '/api/v1/admin/templates/faq/versions')).body.versions;
    expect(versions.map((v: { version: string }) => v.version)).toEqual(['1.2.0', '1.1.0', '1.0.0']);
  });

  it('with a prompts:write key, a protected label is marked in the diff, left alone by push (named, exit 1), the rest pushed', async () => {
    await fs.rm(path.join(dir, 'faq', '1.3.0.yaml'));
    await run('pull', dir);
    expect((await api.call('PUT', '/api/v1/admin/protected-labels/production')).status).toBe(200);
    const ci = await createApiKey(api.sql, { name: 'ci', scopes: ['prompts:write'], createdBy: 'test' });
    process.env.PROMPTSCOPE_API_KEY = ci.key;
    try {
      await fs.writeFile(path.join(dir, 'faq', 'labels.yaml'), 'production: 1.1.0\nstaging: 1.2.0\n');
      const planned = [
        '~ faq production: 1.2.0 → 1.1.0 (protected: needs prompts:promote)',
        '~ faq staging: 1.0.0 50% / 1.1.0 50% → 1.2.0',
      ];
      expect(await run('diff', dir)).toEqual({ code: 0, out: planned });
      expect(await run('push', dir)).toEqual({
        code: 1,
        out: [...planned, 'pushed: 0 versions published, 1 labels moved'],
      });
      const labels = (await api.call('GET', '/api/v1/admin/templates/faq')).body.labels;
      expect(labels).toMatchObject({ production: '1.2.0', staging: '1.2.0' });
    } finally {
      process.env.PROMPTSCOPE_API_KEY = api.keys.admin;
      await api.call('DELETE', '/api/v1/admin/protected-labels/production');
    }
  });

  it.each([[['pull']], [['sync', '/tmp']], [['push', 'a', 'b']]])('%j is a usage error', async (argv) => {
    expect(await templates(loadConfig({}), argv, () => {})).toBe(2);
  });
});
