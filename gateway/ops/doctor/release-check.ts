import { basename, dirname } from 'node:path';
import type { StationConfig } from '../../../config/station-schema.js';
import { ReleaseLayout, type UpdateState } from '../../update/launcher/release-layout.js';
import { fail, pass, warn, type CheckResult } from './doctor-result.js';

/**
 * The app root this gateway runs from, when it runs from the launcher's layout
 * (`<root>/releases/<version>`): a crew runs doctor from a shell, without the launcher's environment.
 */
export function releaseRootOf(packageDir: string): string | undefined {
  const releases = dirname(packageDir);
  return basename(releases) === 'releases' ? dirname(releases) : undefined;
}

/**
 * Which release runs and whether an update is under way: on trial (since when, how many boots,
 * until when), the last rollback and why. One row; a rollback not yet replaced by a good update is
 * a warning, a layout the launcher could not start from is a failure.
 */
export function releaseCheck(root: string | undefined, running: string, config: StationConfig, now: Date): CheckResult | undefined {
  if (!root) return config.update ? warn('release', `version ${running}, not run by the launcher (installed from source?): updates from the fleet are refused (UPDATE_NOT_MANAGED)`) : undefined;
  const layout = new ReleaseLayout(root);
  let state: UpdateState | undefined;
  try {
    state = layout.readState();
  } catch (err) {
    return fail('release', `${root}: ${(err as Error).message}`);
  }
  const current = layout.currentVersion();
  if (!state || !current) return fail('release', `${root}: ${state ? 'no current link' : 'no update-state.json'}; the launcher repairs what it can at its next start`);
  const keep = state.previous ? `, previous ${state.previous} kept` : '';
  if (state.trial) {
    const t = state.trial;
    const left = Math.round((Date.parse(t.deadline) - now.getTime()) / 1000);
    return warn('release', `version ${t.version} on trial since ${t.startedAt} (boot ${t.boots}, ${left > 0 ? `${left} s left to commit` : 'past its deadline'}), from ${t.from}${t.failed ? `; failed: ${t.failed.reason}` : ''}`);
  }
  if (state.lastRollback && state.lastRollback.version !== state.committed) {
    const r = state.lastRollback;
    return warn('release', `version ${state.committed} (current ${current}); ${r.version} was rolled back at ${r.at}: ${r.code} ${r.reason}`);
  }
  if (current !== state.committed) return warn('release', `current names ${current}, the committed version is ${state.committed}: the launcher puts it back at its next start`);
  return pass('release', `version ${running}${running === state.committed ? '' : ` (committed ${state.committed})`}${keep}`);
}
