import { configDefaults, defineConfig } from 'vitest/config';

// `npm run test:faults`: the fault-injection scenarios, each a load of 20,000 events. Kept apart from
// `npm test` for the minutes they take; `.ci/run` runs both.
export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/faults/**/*.test.ts'],
    exclude: [...configDefaults.exclude, '.data/**', '**/dist/**'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
