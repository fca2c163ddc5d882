import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELP } from '../src/cli/usage.ts';
import { createTestDatabase } from './support/databases.ts';

const CLI = path.resolve(import.meta.dirname, '../bin/promptscope');
const VERSION = JSON.parse(await fs.readFile(path.resolve(import.meta.dirname, '../package.json'), 'utf8'))
  .version as string;

/** `promptscope …` as a user runs it, with stdout and stderr apart. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(CLI, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('the promptscope command behaves like a command-line tool', () => {
  it.each(Object.keys(HELP))(
    'promptscope %s --help prints its usage on stdout and exits 0',
    async (command) => {
      const { code, stdout, stderr } = await cli([...command.split(' '), '--help']);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(new RegExp(`^usage: promptscope ${command.split(' ')[0]}`));
      expect(stdout).toContain(`promptscope ${command}`);
    },
  );

  it("keeps Node's compile cache in the temporary folder, or where NODE_COMPILE_CACHE says", async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-compile-cache-'));
    try {
      expect((await cli(['prices', 'list'], { TMPDIR: tmp })).code).toBe(0);
      expect(await fs.readdir(path.join(tmp, 'node-compile-cache'))).not.toEqual([]);
      const chosen = path.join(tmp, 'chosen');
      expect((await cli(['prices', 'list'], { TMPDIR: tmp, NODE_COMPILE_CACHE: chosen })).code).toBe(0);
      expect(await fs.readdir(chosen)).not.toEqual([]);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  it('--version prints the version of package.json', async () => {
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await cli([flag]);
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(`promptscope ${VERSION}`);
    }
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [[], 'usage:'],
    [['keys', 'rotate'], 'keys takes create, list or revoke'],
    [['keys', 'list', '--colour'], "Unknown option '--colour'"],
    [['migrate', 'sideways'], "migrate takes up, down [N], status or sql, not 'sideways'"],
    [['alerts'], 'alerts takes check, test or silence'],
    [['alerts', 'silence', 'add', '--for'], "Option '--for <value>' argument missing"],
    [['report', '--bogus'], "Unknown option '--bogus'"],
    [['report', '--csv'], '--csv writes one report per CSV'],
    [['report', '--test-runs', 'sometimes'], '--test-runs takes exclude, include, only'],
    [['report', '--window', '1y'], "--window: '1y' is not a window like 30s, 15m, 1h or 7d"],
    [['alerts', 'silence', 'add', '--matcher', 'template=x'], '--until: give --until or --for'],
    [['alerts', 'silence', 'add', '--matcher', 'template', '--for', '1h'], "--matcher 1: 'template'"],
  ])(
    'promptscope %j is a usage error: its reason on stderr, nothing on stdout, exit 2',
    async (args, reason) => {
      const { code, stdout, stderr } = await cli(args, {
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(reason);
    },
  );
});

describe('--json where a script reads the answer', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  it('keys list --json: the keys as the API lists them, never a secret', async () => {
    const env = { DATABASE_URL: db.url };
    const created = await cli(
      ['keys', 'create', '--name', 'svc', '--scopes', 'prompts:read,telemetry:write'],
      env,
    );
    expect(created.code).toBe(0);
    const secret = /psk_\S+/.exec(created.stdout)![0];
    const listed = await cli(['keys', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const keys = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(keys).toEqual([
      expect.objectContaining({ name: 'svc', scopes: ['prompts:read', 'telemetry:write'], revoked_at: null }),
    ]);
    expect(Object.keys(keys[0]!).sort()).toEqual(
      ['created_at', 'created_by', 'id', 'last_used_at', 'name', 'revoked_at', 'scopes'].sort(),
    );
    expect(listed.stdout).not.toContain(secret.slice(17));
  });

  it('alerts silence list --json: each silence with its matchers and times', async () => {
    const env = { DATABASE_URL: db.url };
    const added = await cli(
      ['alerts', 'silence', 'add', '--matcher', 'template=checkout', '--for', '1h', '--comment', 'deploy'],
      env,
    );
    expect(added.code).toBe(0);
    const listed = await cli(['alerts', 'silence', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ matchers: ['template="checkout"'], status: 'active', comment: 'deploy' }),
    ]);
  });

  it('alerts check --json: ok with counts, or every problem with file, where and field', async () => {
    const ok = await cli(['alerts', 'check', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problems: [] });
    expect(JSON.parse(ok.stdout).rules).toBeGreaterThan(5);
    const file = path.join(await fs.mkdtemp('/tmp/promptscope-check-'), 'bad.yaml');
    await fs.writeFile(
      file,
      "groups:\n  - name: g\n    rules:\n      - alert: Bad\n        figure: { name: calls, window: 5m }\n        condition: 'above 5'\n",
    );
    const bad = await cli(['alerts', 'check', file, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({
      ok: false,
      rules: 0,
      groups: 0,
      notifications: 0,
      problems: [expect.objectContaining({ file, where: "rule 'Bad'", field: 'condition' })],
    });
    // A notification file is checked as one (the configured one too, when no file is named).
    const notifications = path.join(path.dirname(file), 'notifications.yaml');
    await fs.writeFile(notifications, 'route: { receiver: x, group_wiat: 1m }\nreceivers: [{ name: x }]\n');
    const wrong = await cli(['alerts', 'check', notifications, '--json']);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).problems).toEqual([
      { file: notifications, where: 'notifications', field: 'route.group_wiat', message: 'unknown key' },
    ]);
  });
});
