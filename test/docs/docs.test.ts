import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../config/config-reference.js';
import { packageRoot } from '../../config/package-root.js';
import { DEVICE_ERROR_CODES } from '../../device-drivers/device-error.js';

const root = packageRoot();
const read = (...p: string[]): string => readFileSync(join(root, ...p), 'utf8');

describe('documentation that is checked against the code', () => {
  it('docs/configuration.md is what the schema renders (run npm run docs:config)', () => {
    expect(read('docs', 'configuration.md')).toBe(renderConfigReference());
  });

  it('docs/errors.md lists every error code the source defines', () => {
    const doc = read('docs', 'errors.md');
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', ':!test/**'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
    const codes = new Set<string>(Object.keys(DEVICE_ERROR_CODES));
    for (const f of files) {
      for (const m of read(f).matchAll(/readonly code = '([A-Z_]+)'/g)) codes.add(m[1] as string);
    }
    expect(codes.size).toBeGreaterThan(8);
    for (const code of codes) expect(doc, `docs/errors.md is missing ${code}`).toContain(`\`${code}\``);
  });
});
