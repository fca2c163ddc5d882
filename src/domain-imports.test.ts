import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;
const ROOT = path.resolve(SRC, '..');
const BIOME = path.join(ROOT, 'node_modules/.bin/biome');

/**
 * The boundaries live in biome.json (noRestrictedImports per folder) and `npm run lint` enforces them. These cases
 * lint a probe file at each place against that same configuration, so a boundary weakened there fails here.
 */
describe('the lint enforces the boundaries, type imports included', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promptscope-boundaries-'));
    fs.copyFileSync(path.join(ROOT, 'biome.json'), path.join(dir, 'biome.json'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lint = (file: string, imports: string): string[] => {
    fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), `${imports}\nexport type Probe = typeof probe;\n`);
    const out = spawnSync(BIOME, ['lint', '--reporter=json', file], { cwd: dir, encoding: 'utf8' });
    const report = JSON.parse(out.stdout) as { diagnostics: { category: string; message: string }[] };
    return report.diagnostics
      .filter((d) => d.category === 'lint/style/noRestrictedImports')
      .map((d) => d.message);
  };

  it.each([
    [
      'the domain and HTTP',
      'src/store/probe.ts',
      "import type { Hono as probe } from 'hono';",
      /never knows about HTTP/,
    ],
    [
      'the domain and the API',
      'src/alerts/probe.ts',
      "import type { probe } from '../api/errors.ts';",
      /never knows about HTTP/,
    ],
    [
      'the domain and @hono/*',
      'src/analytics/probe.ts',
      "import { probe } from '@hono/zod-openapi';",
      /never knows about HTTP/,
    ],
    [
      'the server and collector internals',
      'src/server.ts',
      "import type { probe } from '../collector/queue/spool.ts';",
      /collector\/index\.ts only/,
    ],
    [
      'the server and sdk files',
      'src/auth/probe.ts',
      "import type { probe } from '../../packages/sdk/src/lru.ts';",
      /public subpaths/,
    ],
    [
      'the collector and the server',
      'collector/receiver/probe.ts',
      "import type { probe } from '../../src/store/postgres.ts';",
      /only src\/platform/,
    ],
    [
      'the collector and sdk files',
      'collector/probe.ts',
      "import type { probe } from '../packages/sdk/src/semconv.ts';",
      /public subpaths/,
    ],
    [
      'the shared platform and the server',
      'src/platform/probe.ts',
      "import type { probe } from '../alerts/metrics.ts';",
      /imports neither/,
    ],
    [
      'the shared platform and the sdk',
      'src/platform/probe.ts',
      "import type { probe } from '#sdk/pricing';",
      /imports neither/,
    ],
    [
      'the sdk and the server',
      'packages/sdk/src/probe.ts',
      "import type { probe } from '../../../src/platform/log.ts';",
      /its own package/,
    ],
    [
      'the sdk and the server by alias',
      'packages/sdk/src/probe.ts',
      "import type { probe } from '#sdk/pricing';",
      /its own package/,
    ],
  ])('%s: %s may not write %s', (_, file, imports, message) => {
    expect(lint(file, imports)).toContainEqual(expect.stringMatching(message));
  });

  it.each([
    ['src/server.ts', "import type { probe } from '../collector/index.ts';"],
    ['src/auth/probe.ts', "import type { probe } from '#sdk/pricing';"],
    ['collector/probe.ts', "import type { probe } from '../src/platform/log.ts';"],
    [
      'collector/exporter/clickhouse/probe.ts',
      "import type { probe } from '../../../src/platform/metrics.ts';",
    ],
    ['src/api/probe.ts', "import type { Hono as probe } from 'hono';"],
  ])('%s may write %s', (file, imports) => {
    expect(lint(file, imports)).toEqual([]);
  });
});

describe('modules import each other without circles', () => {
  // Type imports count: a circle of types still ties two modules' designs together.
  const TREES = ['src', 'collector', 'packages/sdk/src'];
  it.each(TREES)(
    'no file under %s reaches itself through relative imports, type imports included',
    (tree) => {
      const graph = new Map<string, string[]>();
      for (const root of TREES)
        for (const file of fs.readdirSync(path.join(ROOT, root), { recursive: true, encoding: 'utf8' })) {
          if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
          const full = path.join(ROOT, root, file);
          const text = fs.readFileSync(full, 'utf8');
          const deps = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) =>
            path.relative(ROOT, path.resolve(path.dirname(full), m[1]!)),
          );
          graph.set(path.relative(ROOT, full), deps);
        }
      const cycles: string[] = [];
      const state = new Map<string, 'visiting' | 'done'>();
      const visit = (file: string, trail: string[]) => {
        if (state.get(file) === 'done') return;
        if (state.get(file) === 'visiting') {
          cycles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
          return;
        }
        state.set(file, 'visiting');
        for (const dep of graph.get(file) ?? []) visit(dep, [...trail, file]);
        state.set(file, 'done');
      };
      for (const file of graph.keys()) if (file.startsWith(`${tree}/`)) visit(file, []);
      expect(cycles).toEqual([]);
    },
  );
});
