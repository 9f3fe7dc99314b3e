import { defineConfig } from 'vitest/config';
import { GATEWAY_NODE_FLAGS } from './gateway/cli/gateway-node-flags.js';
import { OWN_WORKER } from './test/own-worker.js';

export default defineConfig({
  test: {
    // Real sockets, ptys and child processes: generous bounds, never timing assertions.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        // `npm run bench`: each benchmark runs the gateway's path and a raw baseline in one process
        // and reports the ratio; numbers are never asserted in tests (the machine is shared). That
        // process has the gateway's Node flags, so both sides run as a box runs the gateway.
        extends: true,
        test: {
          name: 'bench',
          include: [],
          benchmark: { include: ['test/bench/**/*.bench.ts'], exclude: ['test/bench/npm-install.bench.ts'] },
          execArgv: [...GATEWAY_NODE_FLAGS],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // `npm ci` compiles on both cores: it runs in a group of its own, never beside the other
        // benchmarks, so it moves none of their ratios (and none of them moves its time).
        extends: true,
        test: {
          name: 'bench-install',
          include: [],
          benchmark: { include: ['test/bench/npm-install.bench.ts'] },
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-and-e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['test/chaos/**', ...OWN_WORKER],
          // Two cores: more workers only add contention for the simulators and child gateways.
          maxWorkers: 2,
          // A fresh worker per file cost about 0.8 s of a core each (a process started, vitest and
          // the project's modules loaded again), a quarter of this project's time on two cores.
          // Files run one after another in a worker, never side by side, so one that restores what
          // it changed is as alone as in a fresh one (test/own-worker.ts says what that takes).
          isolate: false,
          // The benchmarks are the bench project's (an empty include is what keeps vitest from
          // running every bench file again in each project).
          benchmark: { include: [] },
        },
      },
      {
        // Same group and worker limit as the project above: they share its two workers.
        extends: true,
        test: {
          name: 'own-worker',
          include: [...OWN_WORKER],
          maxWorkers: 2,
          benchmark: { include: [] },
        },
      },
      {
        // The chaos tests kill processes, fill disks, flood brokers and put every fault on one
        // bus: each loads the whole machine, and a test running beside one would be measured
        // under that load (a pty's hang-up or a healthy unit's answer arriving late). Their own
        // script (`npm run test:chaos`, which .ci/run calls after `npm test`), one at a time; a
        // bare `npx vitest run` still runs them after the rest.
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          benchmark: { include: [] },
        },
      },
    ],
  },
});
