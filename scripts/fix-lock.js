// chdb lists native packages for every platform as optional dependencies; a registry that lacks some of them
// leaves them out of package-lock.json, and `npm ci` then refuses the lock. Record them as platform-bound optional
// entries (skipped on other platforms, fetched on their own). Run after `npm install` changes the lock.
import fs from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const PLATFORM = {
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
};
let added = 0;
for (const [where, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const m = /^@chdb\/lib-(.+)$/.exec(name);
    const key = `node_modules/${name}`;
    if (!m || lock.packages[key] || !PLATFORM[m[1]]) continue;
    lock.packages[key] = {
      version,
      dev: entry.dev,
      license: entry.license,
      optional: true,
      ...PLATFORM[m[1]],
    };
    added++;
  }
  void where;
}
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: recorded ${added} platform-bound optional package(s)`);
