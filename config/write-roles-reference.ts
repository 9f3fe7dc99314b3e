import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';
import { renderRolesReference } from './roles-reference.js';

const target = join(packageRoot(), 'docs', 'device-roles.md');
writeFileSync(target, renderRolesReference());
process.stdout.write(`wrote ${target}\n`);
