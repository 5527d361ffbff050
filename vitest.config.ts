import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['**/*.test.ts'],
    // test/faults/** runs with vitest.faults.config.ts (`npm run test:faults`): minutes of load each.
    exclude: [...configDefaults.exclude, '.data/**', '**/dist/**', 'test/faults/**'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Broker shutdown: up to 15s of controlled shutdown, 45s when it writes its class archive (first run).
    teardownTimeout: 60_000,
    // Child JVMs die with the process that spawned them (setpriv --pdeathsig), so not worker threads.
    pool: 'forks',
    fileParallelism: false,
  },
});
