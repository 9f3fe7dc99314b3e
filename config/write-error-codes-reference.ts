import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorCodesReference } from './error-codes-reference.js';
import { packageRoot } from './package-root.js';

const target = join(packageRoot(), 'docs', 'errors.md');
writeFileSync(target, renderErrorCodesReference());
process.stdout.write(`wrote ${target}\n`);
