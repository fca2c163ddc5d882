import { globSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Four projects, so a developer runs the fast ones in seconds (`npm run test:unit`) and `npm test` runs them all:
 * - unit: pure code and in-process HTTP only; no database, no child process (no global Postgres either);
 * - store: the real embedded Postgres and ClickHouse (chDB);
 * - process: spawns processes (the CLI, `promptscope start`, kill -9, npm, Alertmanager);
 * - browser: the built-in page in Debian's Chromium.
 * A new test file lands in `store` unless it is listed in another project.
 */
const UNIT = [
  'collector/exporter/clickhouse/decisions.test.ts',
  'collector/exporter/clickhouse/exporter.test.ts',
  'collector/golden.test.ts',
  'collector/queue/**/*.test.ts',
  'collector/receiver/otlp/span-decoder.test.ts',
  'collector/receiver/recent-spans.test.ts',
  'packages/sdk/src/**/*.test.ts',
  'src/alerts/budget-period.test.ts',
  'src/alerts/in-process-metrics.test.ts',
  'src/alerts/notifications/config.test.ts',
  'src/alerts/pure.test.ts',
  'src/alerts/rules.test.ts',
  'src/alerts/state-machine.test.ts',
  'src/analytics/statistics.test.ts',
  'src/analytics/window.test.ts',
  'src/api/csv.test.ts',
  'src/cli/prices.test.ts',
  'src/config.test.ts',
  'src/platform/**/*.test.ts',
  'src/domain-imports.test.ts',
  'src/prompts/**/*.test.ts',
  'src/rollouts/state-machine.test.ts',
  'test/prices-import.test.ts',
  'test/root-package.test.ts',
];
/** Files under those that still need the shared Postgres (the sdk's prompt client against the real API). */
const NOT_UNIT = new Set(['packages/sdk/src/prompt-client.test.ts']);
const UNIT_FILES = UNIT.flatMap((pattern) => globSync(pattern)).filter((f) => !NOT_UNIT.has(f));
const PROCESS = [
  'collector/crash.test.ts',
  'test/alertmanager.test.ts',
  'test/alerts-cli.test.ts',
  'test/cli-habits.test.ts',
  'test/example.test.ts',
  'test/sdk-package.test.ts',
  'test/demo.test.ts',
  'test/rollout-e2e.test.ts',
  'test/start.test.ts',
];
const BROWSER = ['test/dashboards-page.test.ts'];
const ALL = [
  'src/**/*.test.ts',
  'packages/*/src/**/*.test.ts',
  'collector/**/*.test.ts',
  'test/**/*.test.ts',
  'dashboards/**/*.test.ts',
];

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Four files at a time on this 2-core machine (Vitest's default is one fewer than the cores): most files wait on
    // I/O, timers or child processes, not the CPU (Vitest on a clean cache: ~137 s with three, ~112 s with four,
    // ~103 s with five, where the files' own times grow by a tenth from contention).
    maxWorkers: 4,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT_FILES, pool: 'threads' },
      },
      {
        extends: true,
        test: {
          name: 'store',
          include: ALL,
          exclude: [...configDefaults.exclude, ...UNIT_FILES, ...PROCESS, ...BROWSER],
          // chDB binds one data directory per process: each test file gets its own process.
          pool: 'forks',
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'process', include: PROCESS, pool: 'forks', globalSetup: ['test/global-setup.ts'] },
      },
      {
        extends: true,
        test: { name: 'browser', include: BROWSER, pool: 'forks', globalSetup: ['test/global-setup.ts'] },
      },
    ],
  },
});
