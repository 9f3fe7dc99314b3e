import { join } from 'node:path';
import type { DriftEntry } from '../../cloud-bridge/remote-config-contract.js';
import { hashFile, type RevisionStore, type StorePointer } from './revision-store.js';

/**
 * The files changed on site since the store applied them: each file of the revision that runs,
 * against the hash the store recorded when it wrote it, and the on-site station file (`--config`)
 * against its hash when the store took over from it: a crew who edits that file expects it to
 * run, and it no longer does. Reported, never put back: a change on site may be the fix.
 */
export function detectDrift(store: RevisionStore, pointer: StorePointer | undefined): DriftEntry[] {
  if (!pointer) return [];
  const out: DriftEntry[] = [];
  const dir = store.dirOf(pointer.current.revision);
  for (const [path, expected] of Object.entries(pointer.current.files)) {
    const file = join(dir, path);
    const actual = hashFile(file);
    if (actual !== expected) out.push({ file, expected, actual });
  }
  const onSite = pointer.onSite;
  if (onSite?.sha256) {
    const actual = hashFile(onSite.file);
    if (actual !== onSite.sha256) out.push({ file: onSite.file, expected: onSite.sha256, actual });
  }
  return out;
}

/** Drift in the files a new revision would replace (the running revision's, not the on-site file). */
export function runningFileDrift(store: RevisionStore, pointer: StorePointer | undefined): DriftEntry[] {
  if (!pointer) return [];
  const dir = store.dirOf(pointer.current.revision);
  return detectDrift(store, pointer).filter((d) => d.file.startsWith(`${dir}/`));
}
