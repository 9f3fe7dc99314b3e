import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfileFile } from '../../../config/load-profile.js';
import { builtinProfilesDir } from '../../../config/package-root.js';
import type { Profile } from '../../../config/profile-schema.js';

/** A profile shipped with the gateway (`cabinet-ref`), or a fixture of these tests (`fixtures/x.yaml`). */
export function loadTestProfile(ref: string): Profile {
  const file = ref.endsWith('.yaml') ? join(fileURLToPath(new URL('.', import.meta.url)), ref) : join(builtinProfilesDir(), `${ref}.yaml`);
  const { profile, problems } = loadProfileFile(file);
  if (!profile) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
  return profile;
}
