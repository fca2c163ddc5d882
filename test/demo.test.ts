import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startPromptscope } from '../src/testing/promptscope-process.ts';

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
      await tour(path.join(dir, 'data'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 420_000);
});

/** Debian's chromium (.ci/run installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../test-artifacts/tour');
const DOCS = path.resolve(import.meta.dirname, '../docs/tour');

/**
 * The README's tour: `npm start` on the demo's data, the page as a person opens it after the demo, one screenshot per
 * view (test-artifacts/tour; UPDATE_SCREENSHOTS=1 writes docs/tour too), each checked to show what its caption says.
 */
async function tour(dataDir: string): Promise<void> {
  const ps = await startPromptscope(dataDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${ps.api}/dashboards`);
    await page.fill('#key', ps.adminKey);
    await page.click('#signin button');
    await page.waitForSelector('main[data-ready="overview"]');
    await page.selectOption('#range', '1h');
    await page.waitForSelector('[data-chart] .uplot');
    const shots: [string, string, () => Promise<void>][] = [
      [
        'overview',
        '#overview',
        async () =>
          expect(
            Number((await page.getAttribute('[data-stat="calls"] .value', 'title')) ?? 0),
          ).toBeGreaterThan(100),
      ],
      [
        'template',
        '#template',
        async () => {
          await page.selectOption('#template', 'support-answer');
          await page.waitForFunction(() =>
            [
              ...(
                globalThis as unknown as {
                  document: { querySelectorAll(s: string): { textContent: string }[] };
                }
              ).document.querySelectorAll('[data-table="versions"] tbody tr td:first-child'),
            ].some((td) => td.textContent === '2'),
          );
        },
      ],
      // The candidate against the control while it served: its error rate marked significantly higher.
      [
        'ab',
        '#ab',
        async () => expect(await page.textContent('[data-significant="true"]')).toMatch(/^\+[\d.]+ pp/),
      ],
      [
        'rollout',
        '#rollouts',
        async () =>
          expect(await page.textContent('[data-table="rollouts"] [data-state]')).toBe('rolled back'),
      ],
      [
        'alerts',
        '#alerts',
        async () => expect(await page.textContent('main')).toContain('RolloutRolledBack'),
      ],
      [
        'template-admin',
        '#templates/support-answer',
        async () => expect(await page.textContent('[data-table="history"]')).toContain('rollout:1'),
      ],
    ];
    await fs.mkdir(ARTIFACTS, { recursive: true });
    for (const [name, hash, check] of shots) {
      await page.evaluate((h) => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = h;
      }, hash);
      const view = hash.slice(1).split('/')[0]!;
      await page.waitForSelector(`main[data-ready="${view}"]`);
      await page.waitForLoadState('networkidle');
      await check();
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file });
      if (process.env.UPDATE_SCREENSHOTS) {
        await fs.mkdir(DOCS, { recursive: true });
        await fs.copyFile(file, path.join(DOCS, `${name}.png`));
      }
    }
  } finally {
    await browser.close();
    await ps.stop();
  }
}
