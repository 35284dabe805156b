import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // One process per worker for all its files: the module graph (zod schemas, undici, the emulator)
    // is imported once per worker instead of once per file — about half the suite's CPU on 2 cores.
    // Tests therefore restore whatever process-wide state they change (env, spies).
    isolate: false,
    // The emulator renders one clip per size × seconds instead of one per task (tests that need
    // distinct clips ask for render: 'unique'); spawned CLIs inherit it through the environment.
    env: { SHOTLIST_EMULATOR_RENDER: 'shared' },
  },
});
