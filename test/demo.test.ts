import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** `npm run demo` as a newcomer runs it: it tells the whole story within its time bound and exits 0. */
describe('npm run demo', () => {
  it('a rollout rolled back by its guard, an alert fired and resolved, and the data left for the page', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-demo-'));
    await fs.chmod(dir, 0o755); // embedded Postgres runs as its own user when we are root
    try {
      const child = spawn(
        process.execPath,
        [
          path.resolve(import.meta.dirname, '../demo/run.ts'),
          '--data-dir',
          path.join(dir, 'data'),
          '--port',
          '0',
          '--otlp-port',
          '0',
          '--time-limit',
          '240',
        ],
        { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(out, out).toMatch(/published support-answer 1 and search-summary, both labelled production/);
      // The candidate errs more and is slower: either guard may be the first to break.
      expect(out).toMatch(
        /rollout 1: rolled_back at step 1 \(0% on 2\) — (error_rate|p95_ms) [\d.]+ vs [\d.]+ \(limit /,
      );
      expect(out).toMatch(/webhook: FIRING VersionErrorRate: support-answer 2 fails/);
      expect(out).toMatch(
        /webhook: FIRING RolloutRolledBack: 2 of support-answer \(label production\) was rolled back to 1/,
      );
      expect(out).toMatch(/webhook: RESOLVED VersionErrorRate/);
      expect(out).toMatch(
        /done: the guard rolled the candidate back, on-call heard it, and the alert resolved/,
      );
      expect(code).toBe(0);
      // The data stays: the admin key and the stores are where `npm start` looks with that data dir.
      await expect(fs.stat(path.join(dir, 'data', 'admin-key'))).resolves.toBeTruthy();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
