// The differential suite (`npm run test:differential`): forgegate against Python, libarchive and GNU tar. It needs
// Debian packages that `npm test` does not (python3-conda-package-streaming, libarchive-tools, zstd, unzip).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/differential/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
