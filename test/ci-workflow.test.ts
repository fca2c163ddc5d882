import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApiKey } from '../src/auth/key-store.ts';
import { createTestApi, serveTestApi, type TestApi } from './support/api.ts';

const WORKFLOW = path.resolve(import.meta.dirname, '../examples/ci/prompts.yml');
const ROOT = path.resolve(import.meta.dirname, '..');

interface Step {
  name?: string;
  if?: string;
  run?: string;
}

/** The workflow's own sync commands for an event, in order, as GitHub Actions would pick them. */
async function syncSteps(event: 'pull_request' | 'push'): Promise<string[]> {
  const workflow = parse(await fs.readFile(WORKFLOW, 'utf8')) as {
    on: Record<string, unknown>;
    jobs: { sync: { steps: Step[] } };
  };
  expect(Object.keys(workflow.on)).toEqual(['pull_request', 'push']);
  return workflow.jobs.sync.steps
    .filter((s) => s.run?.includes('bin/promptscope templates'))
    .filter((s) => s.if === undefined || s.if === `github.event_name == '${event}'`)
    .map((s) => s.run!);
}

describe('the example CI workflow (examples/ci/prompts.yml): a pull request shows the change, a merge publishes it', () => {
  let api: TestApi;
  let served: { url: string; close: () => Promise<void> };
  let repo: string;
  let key: string;

  /** Runs the workflow's steps for an event in a checkout of a prompts repository, with the CLI where it puts it. */
  const runWorkflow = async (event: 'pull_request' | 'push') => {
    let output = '';
    for (const command of await syncSteps(event)) {
      const { stdout } = await promisify(execFile)('bash', ['-c', command], {
        cwd: repo,
        env: {
          PATH: process.env.PATH,
          HOME: os.tmpdir(),
          PROMPTSCOPE_API_KEY: key,
          PROMPTSCOPE_URL: served.url,
        },
      });
      output += stdout;
    }
    return output;
  };

  beforeAll(async () => {
    api = await createTestApi();
    served = await serveTestApi(api);
    key = (await createApiKey(api.sql, { name: 'ci', scopes: ['prompts:write'], createdBy: 'test' })).key;
    repo = await fs.mkdtemp(path.join(os.tmpdir(), 'prompts-repo-'));
    await fs.symlink(ROOT, path.join(repo, 'promptscope-cli'));
    await fs.mkdir(path.join(repo, 'prompts', 'welcome'), { recursive: true });
    await fs.writeFile(
      path.join(repo, 'prompts', 'welcome', '1.0.0.yaml'),
      'version: 1.0.0\ncommit_message: first\ntemplate_text: "Welcome, {{name}}"\nvariables: [name]\n',
    );
    await fs.writeFile(path.join(repo, 'prompts', 'welcome', 'labels.yaml'), 'staging: 1.0.0\n');
  });
  afterAll(async () => {
    await served.close();
    await api.close();
    await fs.rm(repo, { recursive: true, force: true });
  });

  it('on a pull request, says what would change and changes nothing', async () => {
    expect(await runWorkflow('pull_request')).toBe(
      '+ welcome 1.0.0: new version\n~ welcome staging: (none) → 1.0.0\n',
    );
    expect((await api.call('GET', '/api/v1/admin/prompts?name=welcome')).body.total).toBe(0);
  });

  it('on a merge to main, publishes the version and moves the label with the CI key', async () => {
    expect(await runWorkflow('push')).toContain('pushed: 1 versions published, 1 labels moved');
    const summary = (await api.call('GET', '/api/v1/admin/templates/welcome')).body;
    expect(summary.labels).toMatchObject({ staging: '1.0.0' });
    const history = (await api.call('GET', '/api/v1/admin/templates/welcome/labels/history')).body;
    expect(history.moves[0].moved_by).toMatch(/\(ci\)$/);
  });
});
