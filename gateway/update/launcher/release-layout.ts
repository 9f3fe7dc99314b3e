import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ErrorCode } from '../../../config/error-catalogue.js';
import { nodeFileOps, replaceFile, replaceLink, type LayoutFileOps } from './layout-file-ops.js';

/*
 * The releases of the gateway on a box, and which one runs (docs/install.md, "Releases on the box"):
 *
 *   <root>/releases/<version>/   an unpacked bundle; releases/.<version>.partial while it unpacks
 *   <root>/current               a symlink, releases/<version>: what the launcher starts
 *   <root>/update-state.json     committed, previous, the trial and the last rollback
 *   <root>/downloads/            the update agent's downloads
 *
 * The state file is the truth and `current` follows it. Every change writes the state first and
 * switches the link after, except the one case where the link must move before anyone can know
 * whether the new version works (a trial: the state says "trial of X from Y" before `current`
 * points at X). So after a kill between any two steps the launcher's decision (launch-decision.ts)
 * finds one of a few states it knows how to finish, and always finishes them towards a complete
 * release that the state names.
 *
 * This module is installed outside the releases with the launcher: node builtins and config/ only.
 */

export const STATE_FILE = 'update-state.json';
export const CURRENT_LINK = 'current';
/** A release is complete when this file is in it (an unpack renames a whole folder into place). */
export const RELEASE_ENTRY = 'dist/gateway/cli/station-gateway.js';

/** The versions a release manifest allows (config/release-manifest.ts): never a path. */
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

export interface TrialState {
  version: string;
  from: string;
  startedAt: string;
  deadline: string;
  boots: number;
  failed?: { code: string; reason: string };
}
export interface RollbackRecord {
  version: string;
  code: string;
  reason: string;
  at: string;
  reported: boolean;
}
export interface UpdateState {
  committed: string;
  previous?: string;
  trial?: TrialState;
  lastRollback?: RollbackRecord;
  revision?: number;
  /** When `committed` was committed (commitTrial); absent after bootstrap. */
  committedAt?: string;
}

type LayoutCode = Extract<ErrorCode, 'UPDATE_NOT_MANAGED' | 'UPDATE_LAYOUT_REFUSED'>;

/** The layout is missing, damaged, or asked for something its state does not allow. */
export class LayoutError extends Error {
  override readonly name = 'LayoutError';
  constructor(
    readonly code: LayoutCode,
    message: string,
  ) {
    super(message);
  }
}

export const isVersion = (v: unknown): v is string => typeof v === 'string' && VERSION.test(v);

export class ReleaseLayout {
  readonly root: string;
  constructor(
    root: string,
    private readonly ops: LayoutFileOps = nodeFileOps,
  ) {
    this.root = resolve(root);
  }

  releasesDir(): string {
    return join(this.root, 'releases');
  }
  releaseDir(version: string): string {
    if (!isVersion(version)) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `"${version}" is not a release version`);
    return join(this.releasesDir(), version);
  }
  downloadsDir(): string {
    return join(this.root, 'downloads');
  }
  partialDir(version: string): string {
    if (!isVersion(version)) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `"${version}" is not a release version`);
    return join(this.releasesDir(), `.${version}.partial`);
  }
  stateFile(): string {
    return join(this.root, STATE_FILE);
  }
  currentLink(): string {
    return join(this.root, CURRENT_LINK);
  }
  /** The gateway's entry point in a release (by its own folder, never through `current`). */
  entryOf(version: string): string {
    return join(this.releaseDir(version), RELEASE_ENTRY);
  }

  readState(): UpdateState | undefined {
    let text: string;
    try {
      text = readFileSync(this.stateFile(), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new LayoutError('UPDATE_LAYOUT_REFUSED', `${this.stateFile()} cannot be read: ${(err as Error).message}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new LayoutError('UPDATE_LAYOUT_REFUSED', `${this.stateFile()} is damaged: not JSON (${(err as Error).message})`);
    }
    const problem = stateProblem(value);
    if (problem) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `${this.stateFile()} is damaged: ${problem}`);
    return value as UpdateState;
  }

  writeState(state: UpdateState): void {
    const problem = stateProblem(state);
    if (problem) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `refusing to write an update state where ${problem}`);
    replaceFile(this.ops, this.stateFile(), `${JSON.stringify(state, null, 2)}\n`);
  }

  currentVersion(): string | undefined {
    let target: string;
    try {
      target = readlinkSync(this.currentLink());
    } catch {
      return undefined; // missing, or not a link
    }
    const dir = resolve(this.root, target);
    const version = dir.slice(dir.lastIndexOf('/') + 1);
    return dirname(dir) === this.releasesDir() && isVersion(version) ? version : undefined;
  }

  hasRelease(version: string): boolean {
    if (!isVersion(version)) return false;
    try {
      // Existence only: the unpack syncs every file before it renames the folder into place, so
      // a name that survived a power cut has its data too.
      return statSync(this.entryOf(version)).isFile();
    } catch {
      return false;
    }
  }

  /** The complete releases on disk, oldest version first. */
  releases(): string[] {
    return this.releaseEntries()
      .filter((name) => this.hasRelease(name))
      .sort(compareVersions);
  }

  switchCurrent(version: string): void {
    if (!this.hasRelease(version)) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `release ${version} is not complete in ${this.releasesDir()}: not switching to it`);
    // Relative, so the app root can be moved or mounted elsewhere.
    replaceLink(this.ops, this.currentLink(), join('releases', version));
  }

  /**
   * State first, link second. A kill between them leaves "trial of X from Y" with `current` still
   * at Y: the decision drops that trial (X never ran) and the agent starts it again. The reverse
   * order would leave X running with no trial on record, so a broken X would never be undone.
   */
  beginTrial(o: { version: string; trialSeconds: number; now: number }): void {
    const state = this.requireState();
    if (state.trial) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `version ${state.trial.version} is already on trial`);
    if (o.version === state.committed) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `version ${o.version} is already the committed one`);
    if (!this.hasRelease(o.version)) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `release ${o.version} is not complete in ${this.releasesDir()}`);
    if (!(o.trialSeconds > 0)) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `a trial needs a time above 0 s, not ${o.trialSeconds}`);
    const trial: TrialState = {
      version: o.version,
      from: state.committed,
      startedAt: new Date(o.now).toISOString(),
      deadline: new Date(o.now + o.trialSeconds * 1000).toISOString(),
      boots: 0,
    };
    this.writeState({ ...state, trial });
    this.switchCurrent(o.version);
  }

  /** One write: `current` already points at the trial version, and after it the state says so. */
  commitTrial(now: number): UpdateState {
    const state = this.requireState();
    const trial = state.trial;
    if (!trial) throw new LayoutError('UPDATE_LAYOUT_REFUSED', 'no version is on trial: nothing to commit');
    const current = this.currentVersion();
    if (current !== trial.version) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `version ${trial.version} is on trial but current points at ${current ?? 'nothing'}: not committing`);
    const next: UpdateState = { committed: trial.version, previous: trial.from, committedAt: new Date(now).toISOString(), ...kept(state) };
    this.writeState(next);
    return next;
  }

  /** One write; the launcher rolls back at its next decision, or at once when it watches the child. */
  failTrial(code: string, reason: string): void {
    const state = this.requireState();
    if (!state.trial) throw new LayoutError('UPDATE_LAYOUT_REFUSED', 'no version is on trial: nothing to fail');
    this.writeState({ ...state, trial: { ...state.trial, failed: { code, reason } } });
  }

  /**
   * State first (trial gone, the rollback recorded), link second. A kill between them leaves no
   * trial and `current` at the failed version, not at the committed one: the decision points it
   * back, and the record of why is already on disk. The reverse order would leave "trial of X from
   * Y" with `current` at Y, which reads as a switch that never happened: the rollback and its
   * reason would be lost and the agent would try X again.
   */
  rollBack(code: string, reason: string, now: number): UpdateState {
    const state = this.requireState();
    const trial = state.trial;
    if (!trial) throw new LayoutError('UPDATE_LAYOUT_REFUSED', 'no version is on trial: nothing to roll back');
    const next: UpdateState = {
      committed: trial.from,
      ...(state.previous !== undefined ? { previous: state.previous } : {}),
      ...(state.committedAt !== undefined ? { committedAt: state.committedAt } : {}),
      ...(state.revision !== undefined ? { revision: state.revision } : {}),
      lastRollback: { version: trial.version, code, reason, at: new Date(now).toISOString(), reported: false },
    };
    this.writeState(next);
    // A missing `from` is left to the decision, which falls back to `previous`.
    if (this.hasRelease(trial.from)) this.switchCurrent(trial.from);
    return next;
  }

  markRollbackReported(): void {
    const state = this.requireState();
    if (!state.lastRollback || state.lastRollback.reported) return;
    this.writeState({ ...state, lastRollback: { ...state.lastRollback, reported: true } });
  }

  noteRevision(revision: number): void {
    const state = this.requireState();
    this.writeState({ ...state, revision });
  }

  /**
   * Keeps committed, previous, the trial's version and whatever `current` points at; removes the
   * other releases, partial unpacks and leftover temporary files. A release is first renamed to
   * a hidden `.<version>.removing` (one atomic step, synced), then deleted: a kill during the
   * delete leaves a hidden folder the next prune finishes, never a half-deleted `releases/<v>`
   * that would pass for complete. Not while an unpack runs (the update agent, its only caller,
   * does not prune then).
   */
  prune(): string[] {
    const state = this.readState();
    if (!state) return [];
    const keep = new Set([state.committed, state.previous, state.trial?.version, this.currentVersion()].filter((v): v is string => v !== undefined));
    const removed: string[] = [];
    const releases = this.releasesDir();
    for (const name of this.releaseEntries()) {
      if (/^\..+\.(partial|removing)$/.test(name)) {
        this.ops.remove(join(releases, name));
        removed.push(join('releases', name));
      } else if (isVersion(name) && !keep.has(name)) {
        const hidden = join(releases, `.${name}.removing`);
        this.ops.rename(join(releases, name), hidden);
        this.ops.syncFolder(releases);
        this.ops.remove(hidden);
        removed.push(join('releases', name));
      }
    }
    for (const name of safeReaddir(this.root)) {
      if (/^(update-state\.json|current)\.[0-9a-f]{8}\.tmp$/.test(name)) {
        this.ops.remove(join(this.root, name));
        removed.push(name);
      }
    }
    return removed;
  }

  /**
   * The install kit's step: `version` committed and `current` at it. Run again with another
   * version (a reinstall), the one committed before is kept as previous. State first, link second,
   * as everywhere: a kill between leaves a state whose `current` the decision points right.
   */
  bootstrap(version: string): void {
    if (!this.hasRelease(version)) throw new LayoutError('UPDATE_LAYOUT_REFUSED', `release ${version} is not complete in ${this.releasesDir()}`);
    let before: UpdateState | undefined;
    try {
      before = this.readState();
    } catch {
      before = undefined; // a damaged state is replaced: the kit is a person saying what runs
    }
    const next: UpdateState =
      before === undefined
        ? { committed: version }
        : before.committed === version
          ? { committed: version, ...(before.previous !== undefined ? { previous: before.previous } : {}), ...kept(before) }
          : { committed: version, ...(this.hasRelease(before.committed) ? { previous: before.committed } : {}), ...kept(before) };
    this.writeState(next);
    this.switchCurrent(version);
  }

  /** A damaged state file renamed aside (kept for a person to read); returns its new name. */
  setAsideDamagedState(now: number): string {
    const aside = `${this.stateFile()}.damaged-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    this.ops.rename(this.stateFile(), aside);
    this.ops.syncFolder(this.root);
    return aside;
  }

  private requireState(): UpdateState {
    const state = this.readState();
    if (!state) throw new LayoutError('UPDATE_NOT_MANAGED', `${this.stateFile()} does not exist: not a release layout (install with deploy/install.sh)`);
    return state;
  }

  private releaseEntries(): string[] {
    return safeReaddir(this.releasesDir());
  }
}

/** What every change carries over: the rollback record and the replay guard. */
function kept(state: UpdateState): Pick<UpdateState, 'lastRollback' | 'revision'> {
  return {
    ...(state.lastRollback !== undefined ? { lastRollback: state.lastRollback } : {}),
    ...(state.revision !== undefined ? { revision: state.revision } : {}),
  };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Orders versions as semver does for their numbers; a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const [ma, pa] = splitVersion(a);
  const [mb, pb] = splitVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (ma[i] ?? 0) - (mb[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  return pa < pb ? -1 : 1;
}

function splitVersion(v: string): [number[], string | undefined] {
  const dash = v.indexOf('-');
  const core = dash < 0 ? v : v.slice(0, dash);
  return [core.split('.').map(Number), dash < 0 ? undefined : v.slice(dash + 1)];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): boolean => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** What is wrong with a would-be state, in a few words; undefined when nothing is. */
function stateProblem(v: unknown): string | undefined {
  if (!isRecord(v)) return 'not an object';
  if (!isVersion(v['committed'])) return '"committed" is not a version';
  if (v['previous'] !== undefined && !isVersion(v['previous'])) return '"previous" is not a version';
  if (v['revision'] !== undefined && !isCount(v['revision'])) return '"revision" is not a whole number';
  if (v['committedAt'] !== undefined && !isTime(v['committedAt'])) return '"committedAt" is not a time';
  const t = v['trial'];
  if (t !== undefined) {
    if (!isRecord(t)) return '"trial" is not an object';
    if (!isVersion(t['version']) || !isVersion(t['from'])) return '"trial" has no version or from';
    if (!isTime(t['startedAt']) || !isTime(t['deadline'])) return '"trial" has no startedAt or deadline';
    if (!isCount(t['boots'])) return '"trial.boots" is not a whole number';
    const f = t['failed'];
    if (f !== undefined && !(isRecord(f) && typeof f['code'] === 'string' && typeof f['reason'] === 'string')) return '"trial.failed" has no code or reason';
  }
  const r = v['lastRollback'];
  if (r !== undefined) {
    if (!isRecord(r) || !isVersion(r['version']) || typeof r['code'] !== 'string' || typeof r['reason'] !== 'string' || !isTime(r['at']) || typeof r['reported'] !== 'boolean') {
      return '"lastRollback" is incomplete';
    }
  }
  return undefined;
}
