import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time: most files wait on sockets, child processes (roscore, ign, redis)
    // and paced clocks; vitest's default on a 2-core machine is one. Timing-sensitive tests were
    // hardened against a machine loaded to 10+.
    maxWorkers: 2,
  },
});
