import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PACKAGE = path.resolve(import.meta.dirname, '..');
const SRC = path.join(PACKAGE, 'src');

/** Every file reachable from an entry through relative imports, and the packages they import. */
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
      else if (!spec.startsWith('node:'))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return { files: [...files], packages: [...packages] };
}

describe('@promptscope/sdk stays its own small package', () => {
  it('reaches only its own files and imports only the packages its manifest depends on', () => {
    const { files, packages } = importGraph(path.join(SRC, 'index.ts'));
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => !f.startsWith(`${SRC}/`))).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8'));
    // Dependencies, and peers that are not optional (@opentelemetry/api: one API instance per application).
    const optional = Object.keys(manifest.peerDependenciesMeta ?? {}).filter(
      (p) => manifest.peerDependenciesMeta[p].optional,
    );
    const declared = [
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.peerDependencies).filter((p) => !optional.includes(p)),
    ];
    expect(packages.filter((p) => !declared.includes(p))).toEqual([]);
  });

  it('no file of the package imports the server, a test helper or a package it does not declare', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8'));
    const allowed = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)];
    const sources = fs
      .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    for (const file of sources) {
      const { files, packages } = importGraph(path.join(SRC, file));
      expect(
        files.filter((f) => !f.startsWith(`${SRC}/`)),
        file,
      ).toEqual([]);
      expect(
        packages.filter((p) => !allowed.includes(p)),
        file,
      ).toEqual([]);
    }
  });
});
