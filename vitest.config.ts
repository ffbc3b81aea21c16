import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Node environment everywhere: ML code must not see a fake `window` (BROWSER-ML.md §2.4).
    environment: 'node',
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts', 'tools/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
