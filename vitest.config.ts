import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Needs Debian's readers: run by `npm run test:differential` (vitest.differential.config.ts).
    exclude: ['test/differential/**', 'node_modules/**'],
    // End-to-end tests spawn the CLI and build real packages: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // vitest runs one file at a time on a 2-core machine (cores - 1), but most tests wait on a CLI process, a server
    // or the disk: two files at once keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism()),
    // One fresh process per file spent most of a unit test file's time importing the same modules again (a subset
    // of 27 files: 59 s -> 19 s). Files share a worker instead; each cleans up after itself (servers, timers,
    // temp folders) in its own hooks.
    isolate: false,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // `text` prints one row per folder and file; `json-summary` is for tools.
      reporter: [['text', { maxCols: 120 }], 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
