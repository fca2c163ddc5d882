import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;
/** The domain: what the API, the CLI and the scheduler share. None of it may know about HTTP. */
const DOMAIN = ['prompts', 'prompt-test', 'auth', 'alerts', 'analytics', 'store'];
const HTTP = [/^hono(\/|$)/, /^@hono\//, /(^|\/)api\//];

describe('the domain never imports the HTTP layer', () => {
  it.each(DOMAIN.filter((d) => fs.existsSync(path.join(SRC, d))))('src/%s', (dir) => {
    const offending: string[] = [];
    for (const file of fs.readdirSync(path.join(SRC, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const text = fs.readFileSync(path.join(SRC, dir, file), 'utf8');
      for (const [, spec] of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g))
        if (HTTP.some((re) => re.test(spec!))) offending.push(`${dir}/${file} imports ${spec}`);
    }
    expect(offending).toEqual([]);
  });
});

describe('modules import each other without circles', () => {
  // Type imports count: a circle of types still ties two modules' designs together.
  const ROOT = path.resolve(SRC, '..');
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
