import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real sockets, ptys and child processes: generous bounds, never timing assertions.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // `npm run bench`: each benchmark runs the gateway's path and a raw baseline in one process
    // and reports the ratio; numbers are never asserted in tests (the machine is shared).
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit-and-e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['test/chaos/**'],
          // Two cores: more workers only add contention for the simulators and child gateways.
          maxWorkers: 2,
        },
      },
      {
        // The chaos tests kill processes, fill disks, flood brokers and put every fault on one
        // bus: each loads the whole machine, and a test running beside one would be measured
        // under that load (a pty's hang-up or a healthy unit's answer arriving late). They run
        // after the rest, one at a time.
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          // The benchmarks belong to the first project only, so `npm run bench` runs each once.
          benchmark: { include: [] },
        },
      },
    ],
  },
});
