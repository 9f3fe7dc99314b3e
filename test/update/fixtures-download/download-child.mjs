// A station process downloading a bundle, for the test that kills it with kill -9 mid-way.
// It runs the compiled module, as a box does: node download-child.mjs <options as JSON>.
import { readFileSync } from 'node:fs';
import { downloadBundle } from '../../../dist/gateway/update/download-bundle.js';

const o = JSON.parse(process.argv[2] ?? '{}');
const result = await downloadBundle({
  ...o,
  ca: readFileSync(o.caFile),
  onProgress: (bytes) => process.stdout.write(`progress ${bytes}\n`),
});
process.stdout.write(`done ${JSON.stringify(result)}\n`);
