import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Multi-process tests spawn workers of their own; two test files at a time suit a 2-core machine.
    maxWorkers: 2,
    setupFiles: ['test/helpers/setup.ts'],
  },
});
