import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../config/package-root.js';
import { renderContractFiles } from './contract-reference.js';

// `npm run build && node dist/cloud-bridge/write-contract-reference.js`: docs/contract/*.schema.json
// and docs/mqtt-topics.md from cloud-bridge/contract-schemas.ts; docs/alarms-and-events.md and
// docs/contract/events/*.schema.json from the alarm and event catalogues.
for (const [rel, content] of renderContractFiles()) {
  const target = join(packageRoot(), 'docs', rel);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  process.stdout.write(`wrote ${target}\n`);
}
