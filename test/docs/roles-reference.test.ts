import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { renderRolesReference } from '../../config/roles-reference.js';
import { KIND_CONTRACTS } from '../../config/role-catalogue.js';

describe('the roles reference', () => {
  it('docs/device-roles.md is what the role catalogue renders (run npm run docs:config)', () => {
    expect(readFileSync(join(packageRoot(), 'docs', 'device-roles.md'), 'utf8')).toBe(renderRolesReference());
  });

  it('names every role and command role of every kind, with what the station does without it', () => {
    const doc = renderRolesReference();
    for (const contract of Object.values(KIND_CONTRACTS)) {
      expect(doc).toContain(`## \`${contract.kind}\``);
      for (const spec of [...contract.roles, ...contract.commands]) {
        expect(doc, `${contract.kind} ${spec.name}`).toMatch(new RegExp(`\\| \`(slots\\.)?${spec.name}\` \\|`));
        expect(doc).toContain(spec.without.replace(/\|/g, '\\|'));
      }
    }
  });
});
