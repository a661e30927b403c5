import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Needs Debian's readers: run by `npm run test:differential` (vitest.differential.config.ts).
    exclude: ['test/differential/**', 'node_modules/**'],
    // End-to-end tests spawn the CLI and build real packages: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // `text` prints one row per folder and file; `json-summary` is for tools.
      reporter: [['text', { maxCols: 120 }], 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
