import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ConfigProblem } from './config-error.js';
import { builtinProfilesDir } from './package-root.js';
import { profileSchema, type Profile } from './profile-schema.js';
import { issuesToProblems, readYamlFile, type ParsedYaml } from './read-yaml-file.js';

/**
 * Where a profile reference points: a path (it has a slash or ends in .yaml) relative to the
 * station file, else a name looked up first in a `profiles/` folder beside the station file (a
 * vendor's own profiles), then among the profiles shipped with the gateway.
 */
export function resolveProfileFile(ref: string, stationFile: string): string {
  const base = dirname(resolve(stationFile));
  if (ref.includes('/') || ref.endsWith('.yaml') || ref.endsWith('.yml')) {
    return isAbsolute(ref) ? ref : join(base, ref);
  }
  const local = join(base, 'profiles', `${ref}.yaml`);
  return existsSync(local) ? local : join(builtinProfilesDir(), `${ref}.yaml`);
}

/** The profile, and its parsed document for the lines of later checks (config/profile-fit.ts). */
export function loadProfileFile(file: string): { profile?: Profile; parsed?: ParsedYaml; problems: ConfigProblem[] } {
  const { parsed, problems } = readYamlFile(file);
  if (!parsed) return { problems };
  const result = profileSchema.safeParse(parsed.value);
  if (!result.success) return { problems: issuesToProblems(file, parsed, result.error.issues) };
  return { profile: result.data, parsed, problems: [] };
}
