import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const manifest = JSON.parse(await fs.readFile(new URL('package.json', root), 'utf8'));

/**
 * The server is run from a clone (its bin imports TypeScript, which Node will not strip under node_modules); the
 * published package is the sdk. The root manifest must not pretend otherwise.
 */
describe('the root package', () => {
  it('is private, so it cannot be published with a bin and exports that only work from a clone', () => {
    expect(manifest.private).toBe(true);
    for (const target of JSON.stringify(manifest.exports ?? {}).match(/"\.\/[^"]+"/g) ?? [])
      expect(target).not.toMatch(/\.ts"$/);
  });

  it('asks for the Node.js it runs on: the major of the node devDependency', () => {
    const major = /(\d+)/.exec(manifest.devDependencies.node)![1];
    expect(manifest.engines.node).toBe(`>=${major}`);
  });

  it('ships the licence file its manifest names (Apache-2.0), as the sdk does', async () => {
    expect(manifest.license).toBe('Apache-2.0');
    for (const file of ['LICENSE', 'packages/sdk/LICENSE']) {
      const text = await fs.readFile(new URL(file, root), 'utf8');
      expect(text).toContain('Apache License');
      expect(text).toContain('Version 2.0, January 2004');
    }
  });
});
