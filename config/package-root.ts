import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's root, found by walking up from this module. The same code runs from
 * sources (tests) and from dist/ (the box), so a fixed relative path would be wrong in one of them.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'profiles'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('station-gateway: cannot find the package root (config/profiles)');
    dir = up;
  }
}

export const builtinProfilesDir = (): string => join(packageRoot(), 'config', 'profiles');
