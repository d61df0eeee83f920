import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{app,server,tools,agents,evals,test,bin,web}/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores, but many test files mostly wait (on child processes, restarts, timers): a third
    // fork keeps a core busy while one waits (on this machine 1,021 s against 1,049 s with two).
    // The Postgres-restart test's Standard runs have the retries to outlast a crowded restart.
    maxWorkers: 3,
  },
});
