import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decideLaunch } from '../../gateway/update/launcher/launch-decision.js';
import { compareVersions, ReleaseLayout, RELEASE_ENTRY, STATE_FILE } from '../../gateway/update/launcher/release-layout.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeRelease } from './fixtures-launcher/fake-releases.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function layoutWith(...versions: string[]): ReleaseLayout {
  const dir = tempDir('launcher-layout-');
  dirs.push(dir);
  for (const v of versions) makeRelease(dir.path, v, 'run');
  return new ReleaseLayout(dir.path);
}

describe('ReleaseLayout', () => {
  it('bootstraps, runs a trial to its commit, and keeps the replay guard and the rollback record', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    expect(l.readState()).toBeUndefined();
    l.bootstrap('1.0.0');
    expect(l.readState()).toEqual({ committed: '1.0.0' });
    expect(readlinkSync(l.currentLink())).toBe('releases/1.0.0');
    expect(l.currentVersion()).toBe('1.0.0');
    l.noteRevision(7);
    l.beginTrial({ version: '1.1.0', trialSeconds: 120, now: T0 });
    expect(l.currentVersion()).toBe('1.1.0');
    expect(l.readState()?.trial).toEqual({ version: '1.1.0', from: '1.0.0', startedAt: '2026-12-01T10:00:00.000Z', deadline: '2026-12-01T10:02:00.000Z', boots: 0 });
    expect(() => l.beginTrial({ version: '1.1.0', trialSeconds: 120, now: T0 })).toThrow(/already on trial/);
    const committed = l.commitTrial(T0 + 30_000);
    expect(committed).toEqual({ committed: '1.1.0', previous: '1.0.0', committedAt: '2026-12-01T10:00:30.000Z', revision: 7 });
    expect(l.readState()).toEqual(committed);
    expect(() => l.commitTrial(T0)).toThrow(/no version is on trial/);
  });

  it('rolls back: current to the version it came from, the trial gone, the reason kept until reported', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    l.bootstrap('1.0.0');
    l.beginTrial({ version: '1.1.0', trialSeconds: 120, now: T0 });
    const back = l.rollBack('UPDATE_GATE_FAILED', 'devices never came online', T0 + 1000);
    expect(back).toEqual({ committed: '1.0.0', lastRollback: { version: '1.1.0', code: 'UPDATE_GATE_FAILED', reason: 'devices never came online', at: '2026-12-01T10:00:01.000Z', reported: false } });
    expect(l.currentVersion()).toBe('1.0.0');
    l.markRollbackReported();
    expect(l.readState()?.lastRollback?.reported).toBe(true);
  });

  it('links current relatively and switches it in one rename (no temporary link left)', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    l.bootstrap('1.0.0');
    l.switchCurrent('1.1.0');
    expect(readdirSync(l.root).sort()).toEqual(['current', 'releases', STATE_FILE]);
    expect(existsSync(join(l.root, 'current', RELEASE_ENTRY))).toBe(true);
    expect(() => l.switchCurrent('2.0.0')).toThrow(/not complete/);
    expect(l.currentVersion()).toBe('1.1.0');
  });

  it('refuses a version that is a path, and reads a damaged state file as an error that says which file', () => {
    const l = layoutWith('1.0.0');
    expect(() => l.releaseDir('../../etc')).toThrow(/not a release version/);
    expect(l.hasRelease('../1.0.0')).toBe(false);
    writeFileSync(join(l.root, STATE_FILE), '{"committed": "1.0.0", "trial": {"version": "1.1.0"}');
    expect(() => l.readState()).toThrow(new RegExp(`${STATE_FILE} is damaged: not JSON`));
    writeFileSync(join(l.root, STATE_FILE), '{"committed": "1.0.0", "trial": {"version": "1.1.0"}}');
    expect(() => l.readState()).toThrow(/is damaged: "trial" has no version or from/);
  });

  it('prune keeps committed, previous and the trial, and removes older releases and partial unpacks', () => {
    const l = layoutWith('0.9.0', '1.0.0', '1.1.0', '1.2.0', '1.3.0');
    l.bootstrap('0.9.0');
    l.bootstrap('1.0.0');
    l.beginTrial({ version: '1.1.0', trialSeconds: 120, now: T0 });
    l.commitTrial(T0);
    l.beginTrial({ version: '1.2.0', trialSeconds: 120, now: T0 });
    makeRelease(l.root, '9.9.9', 'run');
    // An unpack that was never renamed into place.
    renameSync(l.releaseDir('9.9.9'), l.partialDir('9.9.9'));
    expect(l.prune().sort()).toEqual(['releases/.9.9.9.partial', 'releases/0.9.0', 'releases/1.3.0']);
    expect(readdirSync(l.releasesDir()).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    l.commitTrial(T0);
    expect(l.prune()).toEqual(['releases/1.0.0']);
    expect(l.releases()).toEqual(['1.1.0', '1.2.0']);
  });

  it('orders versions by their numbers, a pre-release before its release', () => {
    expect(['1.10.0', '1.2.0', '1.2.0-rc.1', '0.9.12'].sort(compareVersions)).toEqual(['0.9.12', '1.2.0-rc.1', '1.2.0', '1.10.0']);
  });
});

describe('the launch decision', () => {
  const decide = (l: ReleaseLayout, now = T0 + 1000, maxTrialBoots = 2) => decideLaunch(l, { now, maxTrialBoots });

  it('counts trial boots on disk and rolls back the boot after the last one allowed', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    l.bootstrap('1.0.0');
    l.beginTrial({ version: '1.1.0', trialSeconds: 600, now: T0 });
    expect(decide(l).trial?.boots).toBe(1);
    expect(l.readState()?.trial?.boots).toBe(1);
    expect(decide(l).trial?.boots).toBe(2);
    const d = decide(l);
    expect(d.version).toBe('1.0.0');
    expect(d.trial).toBeUndefined();
    expect(d.notes.map((n) => n.event)).toEqual(['rolled-back', 'start']);
    expect(l.readState()?.lastRollback).toMatchObject({ version: '1.1.0', code: 'UPDATE_GATE_FAILED', reason: 'version 1.1.0 stopped 2 times on trial without committing' });
    expect(l.currentVersion()).toBe('1.0.0');
  });

  it('rolls back a trial past its deadline, and one marked failed without waiting for its boots', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    l.bootstrap('1.0.0');
    l.beginTrial({ version: '1.1.0', trialSeconds: 90, now: T0 });
    expect(decide(l, T0 + 90_000).version).toBe('1.0.0');
    expect(l.readState()?.lastRollback?.reason).toBe('version 1.1.0 did not commit within 90 s');
    l.beginTrial({ version: '1.1.0', trialSeconds: 90, now: T0 });
    l.failTrial('UPDATE_GATE_FAILED', 'the broker never connected');
    expect(decide(l).version).toBe('1.0.0');
    expect(l.readState()?.lastRollback?.reason).toBe('the broker never connected');
  });

  it('drops a trial whose switch never happened', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    l.bootstrap('1.0.0');
    l.beginTrial({ version: '1.1.0', trialSeconds: 90, now: T0 });
    l.switchCurrent('1.0.0'); // as if the kill came between the state and the link
    const d = decide(l);
    expect(d.version).toBe('1.0.0');
    expect(d.notes[0]).toMatchObject({ event: 'trial-dropped', version: '1.1.0' });
    expect(l.readState()).toEqual({ committed: '1.0.0' });
  });

  it('points a missing or dangling current at committed, and a missing committed release at previous', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    l.bootstrap('1.0.0');
    l.bootstrap('1.1.0');
    unlinkSync(l.currentLink());
    expect(decide(l).notes[0]).toMatchObject({ event: 'current-repointed', from: null, to: '1.1.0' });
    unlinkSync(l.currentLink());
    symlinkSync('releases/7.7.7', l.currentLink());
    expect(decide(l).version).toBe('1.1.0');
    rmSync(l.releaseDir('1.1.0'), { recursive: true });
    const d = decide(l);
    expect(d.version).toBe('1.0.0');
    expect(d.notes[0]).toMatchObject({ event: 'committed-missing', version: '1.1.0', using: '1.0.0' });
    expect(l.readState()).toEqual({ committed: '1.0.0' });
    expect(l.currentVersion()).toBe('1.0.0');
  });

  it('adopts a valid current when the state file is missing or damaged, keeping the damaged one aside', () => {
    const l = layoutWith('1.0.0', '1.1.0');
    l.bootstrap('1.0.0');
    writeFileSync(l.stateFile(), 'garbage');
    const d = decide(l);
    expect(d.version).toBe('1.0.0');
    expect(d.notes.map((n) => n.event)).toEqual(['state-damaged', 'adopted', 'start']);
    const aside = readdirSync(l.root).filter((n) => n.startsWith(`${STATE_FILE}.damaged-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(l.root, aside[0] ?? ''), 'utf8')).toBe('garbage');
    unlinkSync(l.stateFile());
    expect(decide(l).notes[0]).toMatchObject({ event: 'adopted', version: '1.0.0', by: 'current' });
    // Neither a state nor a current: the newest complete release, rather than nothing at all.
    unlinkSync(l.stateFile());
    unlinkSync(l.currentLink());
    expect(decide(l).version).toBe('1.1.0');
  });

  it('says so when there is no complete release at all', () => {
    const l = layoutWith();
    expect(() => decide(l)).toThrow(/there was no state file, and there is no complete release/);
  });
});
