import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Node environment everywhere: ML code must not see a fake `window` (BROWSER-ML.md §2.4).
    environment: 'node',
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts', 'tools/**/*.test.ts'],
    // Property tests run under one fixed fast-check seed (FUZZ_SEED to change it; `npm run fuzz`).
    setupFiles: ['tests/setup/fuzzSeed.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
