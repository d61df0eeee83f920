import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{app,server,tools,agents,evals,test,bin}/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more parallel files only adds contention with Postgres.
    maxWorkers: 2,
  },
});
