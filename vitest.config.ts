import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real sockets, ptys and child processes: generous bounds, never timing assertions.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // Two cores: more workers only add contention for the simulators and child gateways.
    maxWorkers: 2,
    // `npm run bench`: each benchmark runs the gateway's path and a raw baseline in one process
    // and reports the ratio; numbers are never asserted in tests (the machine is shared).
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
  },
});
