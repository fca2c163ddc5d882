import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'packages/*/src/**/*.test.ts',
      'collector/**/*.test.ts',
      'test/**/*.test.ts',
      'dashboards/**/*.test.ts',
    ],
    // chDB binds one data directory per process: each test file gets its own process.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
