import { defineConfig } from 'rolldown';

/*
 * The gateway as a box runs it: `station-gateway` and everything it imports, bundled and minified
 * from tsc's output in dist/ into dist/gateway/bundle/. Parts the CLI imports on demand (a
 * command's code, prom-client at the first scrape) stay chunks of their own, loaded when asked.
 * Measured on the demo station: 10 MB less resident than the same code as ~400 modules, the
 * module records and their source text (docs/benchmarks.md, memory).
 *
 * Left to Node's resolver, from node_modules at run time: native addons (their loaders find the
 * .node file beside their package) and the GPIO stack (CommonJS loaded through createRequire, only
 * on a station with a GPIO device).
 */
export default defineConfig({
  input: {
    'station-gateway': 'dist/gateway/cli/station-gateway-main.js',
    // Started as a worker thread by URL (gateway/update/disk-work.ts), so it is an entry beside the chunk that names it.
    'disk-worker': 'dist/gateway/update/disk-worker.js',
  },
  platform: 'node',
  external: [/^node:/, 'better-sqlite3', '@serialport/bindings-cpp', 'johnny-five', 'firmata-io'],
  output: { dir: 'dist/gateway/bundle', format: 'esm', minify: true, sourcemap: true, cleanDir: true },
});
