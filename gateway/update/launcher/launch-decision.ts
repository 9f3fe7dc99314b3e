import { LayoutError, type ReleaseLayout, type TrialState, type UpdateState } from './release-layout.js';

/** Every rollback the launcher makes is a failed health gate in the catalogue's terms. */
export const GATE_FAILED = 'UPDATE_GATE_FAILED';

/** One thing the decision found or did, for the launcher's log. */
export interface LaunchNote {
  event: string;
  [key: string]: unknown;
}

export interface LaunchDecision {
  version: string;
  /** The release's own entry point, resolved now: a later switch of `current` does not move it. */
  entry: string;
  /** Set when `version` starts on trial: this boot is already counted. */
  trial?: TrialState;
  notes: LaunchNote[];
}

export interface DecisionOptions {
  now: number;
  /** Boots a trial gets without committing before it is rolled back. */
  maxTrialBoots: number;
}

export const deadlineReason = (trial: TrialState): string =>
  `version ${trial.version} did not commit within ${Math.round((Date.parse(trial.deadline) - Date.parse(trial.startedAt)) / 1000)} s`;

/**
 * Which release to start, after putting the layout right: whatever a kill or a power cut left
 * half done is finished towards a complete release that the state names. The rules, in order:
 *
 * 1. No state or a damaged one, but `current` is a complete release: that release is adopted as
 *    committed (a damaged file is kept aside). Neither: the newest complete release is.
 * 2. A trial with `current` at its version: a trial boot. It is rolled back instead when it was
 *    failed, its deadline passed, or this boot would be one more than maxTrialBoots; otherwise
 *    the boot is counted on disk before the child starts, so a crash loop cannot go uncounted.
 * 3. A trial with `current` anywhere else: the switch never happened, the trial is dropped (the
 *    update agent starts it again from its retained desired version).
 * 4. No trial: `current` is pointed at committed; at previous if committed is not complete.
 *
 * Throws a LayoutError only when there is no complete release on disk at all.
 */
export function decideLaunch(layout: ReleaseLayout, o: DecisionOptions): LaunchDecision {
  const notes: LaunchNote[] = [];
  let state = readOrAdopt(layout, o.now, notes);

  if (state.trial) {
    const trial = state.trial;
    const current = layout.currentVersion();
    if (current === trial.version) {
      const why = trialFailure(layout, trial, o);
      if (why === undefined) {
        const counted: TrialState = { ...trial, boots: trial.boots + 1 };
        layout.writeState({ ...state, trial: counted });
        notes.push({ event: 'trial-boot', version: trial.version, from: trial.from, boot: counted.boots, maxBoots: o.maxTrialBoots, deadline: trial.deadline });
        return { version: trial.version, entry: layout.entryOf(trial.version), trial: counted, notes };
      }
      state = layout.rollBack(why.code, why.reason, o.now);
      notes.push({ event: 'rolled-back', version: trial.version, to: trial.from, code: why.code, reason: why.reason });
    } else {
      const { trial: _dropped, ...rest } = state;
      state = rest;
      layout.writeState(state);
      notes.push({ event: 'trial-dropped', version: trial.version, current: current ?? null, reason: 'current never switched to it' });
    }
  }

  if (!layout.hasRelease(state.committed)) {
    const missing = state.committed;
    if (state.previous !== undefined && layout.hasRelease(state.previous)) {
      const { previous, ...rest } = state;
      state = { ...rest, committed: previous };
      layout.writeState(state);
      notes.push({ event: 'committed-missing', version: missing, using: previous });
    } else {
      state = adoptSomething(layout, o.now, notes, `committed release ${missing} is not complete and there is no previous one`);
    }
  }

  const current = layout.currentVersion();
  if (current !== state.committed) {
    layout.switchCurrent(state.committed);
    notes.push({ event: 'current-repointed', from: current ?? null, to: state.committed });
  }
  notes.push({ event: 'start', version: state.committed });
  return { version: state.committed, entry: layout.entryOf(state.committed), notes };
}

function trialFailure(layout: ReleaseLayout, trial: TrialState, o: DecisionOptions): { code: string; reason: string } | undefined {
  if (!layout.hasRelease(trial.version)) return { code: GATE_FAILED, reason: `release ${trial.version} is not complete on disk` };
  if (trial.failed) return trial.failed;
  if (o.now >= Date.parse(trial.deadline)) return { code: GATE_FAILED, reason: deadlineReason(trial) };
  if (trial.boots + 1 > o.maxTrialBoots) {
    return { code: GATE_FAILED, reason: `version ${trial.version} stopped ${trial.boots} time${trial.boots === 1 ? '' : 's'} on trial without committing` };
  }
  return undefined;
}

function readOrAdopt(layout: ReleaseLayout, now: number, notes: LaunchNote[]): UpdateState {
  let state: UpdateState | undefined;
  try {
    state = layout.readState();
  } catch (err) {
    const aside = layout.setAsideDamagedState(now);
    notes.push({ event: 'state-damaged', error: (err as Error).message, keptAs: aside });
    return adoptSomething(layout, now, notes, 'the state file was damaged');
  }
  return state ?? adoptSomething(layout, now, notes, 'there was no state file');
}

/** `current` when it is complete, else the newest complete release: committed from now on. */
function adoptSomething(layout: ReleaseLayout, now: number, notes: LaunchNote[], why: string): UpdateState {
  const current = layout.currentVersion();
  const version = current !== undefined && layout.hasRelease(current) ? current : layout.releases().at(-1);
  if (version === undefined) throw new LayoutError('UPDATE_NOT_MANAGED', `${why}, and there is no complete release in ${layout.releasesDir()}`);
  const state: UpdateState = { committed: version };
  layout.writeState(state);
  notes.push({ event: 'adopted', version, by: version === current ? 'current' : 'newest release', reason: why, at: new Date(now).toISOString() });
  return state;
}
