import { defineConfig } from 'vitest/config';

// `npm run test:interop`: the gateway against software nobody here wrote, started by the tests (a
// real Mosquitto 2, openssl's PKI, qemu running the arm64 bundle), and the slow end-to-end runs of
// software updates on real bundles. Kept out of `npm test` (whose include is test/**/*.test.ts)
// because they need those packages and minutes.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.interop.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: 1,
  },
});
