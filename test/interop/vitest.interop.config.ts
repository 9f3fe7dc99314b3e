import { defineConfig } from 'vitest/config';

// `npm run test:interop`: the gateway against a real Mosquitto 2 (started by the tests). Kept out
// of `npm test` (whose include is test/**/*.test.ts) because it needs mosquitto and openssl.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.interop.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: 1,
  },
});
