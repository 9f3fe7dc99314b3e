import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference } from './config-reference.js';
import { packageRoot } from './package-root.js';

const target = join(packageRoot(), 'docs', 'configuration.md');
writeFileSync(target, renderConfigReference());
process.stdout.write(`wrote ${target}\n`);
