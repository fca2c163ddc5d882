import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENVIRONMENT } from '../src/environment.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DOCKERFILE = path.join(ROOT, 'deploy/Dockerfile');
const COMPOSE = path.join(ROOT, 'deploy/compose.yaml');

/** The Dockerfile's instructions, continuation lines joined, comments left out. */
async function instructions(): Promise<{ op: string; args: string }[]> {
  const text = (await fs.readFile(DOCKERFILE, 'utf8')).replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The final stage's COPY sources from the build context (not from another stage), with where they go. */
async function contextCopies(): Promise<{ from: string[]; to: string }[]> {
  const all = await instructions();
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  return all
    .slice(lastFrom)
    .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
    .map((i) => {
      const parts = i.args.split(/\s+/);
      return { from: parts.slice(0, -1), to: parts.at(-1)! };
    });
}

/**
 * The deploy files are examples this CI cannot build or run (no Docker here): they are checked the way a reviewer
 * and hadolint would read them, and the image's file set is shown to be enough to run promptscope.
 */
describe('deploy/Dockerfile', () => {
  it('pins its base images to a Node.js 24 tag (never latest), runs as a user that is not root, and keeps dev dependencies out', async () => {
    const all = await instructions();
    const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]!);
    expect(froms.length).toBe(2);
    for (const image of froms) expect(image).toMatch(/^node:24-[a-z-]+$/);
    const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
    const final = all.slice(lastFrom);
    const user = final.findIndex((i) => i.op === 'USER');
    expect(final[user]?.args).toBe('node');
    expect(user).toBeLessThan(final.findIndex((i) => i.op === 'ENTRYPOINT'));
    // No package manager or build tools in the image that runs (hadolint's DL3008/DL3009 have nothing to find).
    expect(final.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual([
      'mkdir -p /var/lib/promptscope && chown node:node /var/lib/promptscope',
    ]);
    const install = all.find((i) => i.op === 'RUN' && i.args.includes('npm ci'))!;
    expect(install.args).toContain('--omit=dev');
    expect(all.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["/app/bin/promptscope"]');
  });

  it('copies only what exists in the repository', async () => {
    for (const copy of await contextCopies())
      for (const source of copy.from) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
  });

  it('needs no development dependency at run time: every package the shipped sources import is a dependency', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const shipped = (await contextCopies())
      .flatMap((c) => c.from)
      .filter((f) => /^(src|collector|packages)/.test(f));
    const files: string[] = [];
    for (const dir of shipped) {
      const full = path.join(ROOT, dir);
      if (!(await fs.stat(full)).isDirectory()) continue;
      for (const f of await fs.readdir(full, { recursive: true }))
        if (f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('testing/'))
          files.push(path.join(full, f));
    }
    const missing = new Set<string>();
    for (const file of files) {
      const text = await fs.readFile(file, 'utf8');
      // Static imports only: the embedded stores are imported dynamically, and only without DATABASE_URL/CLICKHOUSE_URL.
      for (const m of text.matchAll(/^import (?!type )[\s\S]*? from '([^'.#][^']*)';/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!pkg.dependencies[name]) missing.add(`${name} (${path.relative(ROOT, file)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  describe('its files, as the image holds them', () => {
    let image: string;
    beforeAll(async () => {
      image = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-image-'));
      for (const copy of await contextCopies())
        for (const source of copy.from) {
          const to =
            copy.to.endsWith('/') || copy.from.length > 1
              ? path.join(copy.to, path.basename(source))
              : copy.to;
          await fs.cp(path.join(ROOT, source), path.join(image, to.replace(/^\.\//, '')), {
            recursive: true,
          });
        }
      await fs.symlink(path.join(ROOT, 'node_modules'), path.join(image, 'node_modules'));
    });
    afterAll(() => fs.rm(image, { recursive: true, force: true }));

    it.each([
      [['--version'], /^promptscope \d+\.\d+\.\d+/],
      [
        ['migrate', 'sql', '--after', '12'],
        /^-- promptscope's ClickHouse migrations for one node: 0013_budget_status/,
      ],
      // The shipped rule files, checked against every table: alerts/ and migrations/ are in the image.
      [['alerts', 'check'], /^\d+ rules in \d+ groups, 1 notification file: OK/],
    ])('runs promptscope %j from them', async (argv, printed) => {
      const { stdout } = await promisify(execFile)(path.join(image, 'bin/promptscope'), argv, {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PROMPTSCOPE_DATA_DIR: path.join(image, 'data'),
        },
        cwd: image,
      });
      expect(stdout).toMatch(printed);
    });

    it('loads every role (server, collector, scheduler) with all it imports', async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "for (const m of ['./src/server.ts', './src/cli/collector.ts', './src/cli/scheduler.ts', './src/cli/start.ts']) await import(m); console.log('loaded');",
        ],
        { cwd: image },
      );
      expect(stdout.trim()).toBe('loaded');
    });
  });
});

describe('deploy/compose.yaml', () => {
  interface Service {
    image?: string;
    command?: string[];
    environment?: Record<string, string>;
    deploy?: { replicas?: number };
  }
  let services: Record<string, Service>;
  beforeAll(async () => {
    services = (
      parse(await fs.readFile(COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, Service> }
    ).services;
  });

  it('runs collectors × 3, API × 2 and schedulers × 2 after one migrate, each a promptscope command', () => {
    const ours = Object.entries(services).filter(([, s]) => s.image === 'promptscope');
    expect(Object.fromEntries(ours.map(([name, s]) => [name, [s.command, s.deploy?.replicas ?? 1]]))).toEqual(
      {
        migrate: [['migrate', 'up'], 1],
        collector: [['collector'], 3],
        api: [['api'], 2],
        scheduler: [['scheduler'], 2],
      },
    );
  });

  it('sets only settings promptscope reads', () => {
    const known = new Set(Object.keys(ENVIRONMENT.shape));
    for (const [name, s] of Object.entries(services).filter(([, s]) => s.image === 'promptscope'))
      for (const key of Object.keys(s.environment ?? {}))
        expect(known.has(key), `${name}: ${key}`).toBe(true);
  });
});
