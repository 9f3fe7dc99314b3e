import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RemoteConfigError } from '../../gateway/remote-config/remote-config-error.js';
import { DOCUMENT_FILE, RevisionStore, hashText } from '../../gateway/remote-config/revision-store.js';
import { detectDrift, runningFileDrift } from '../../gateway/remote-config/drift.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let store: RevisionStore;
let onSite: string;
beforeEach(() => {
  dir = tempDir('remote-store-');
  store = new RevisionStore(join(dir.path, 'state'));
  onSite = join(dir.path, 'station.yaml');
  writeFileSync(onSite, 'on site\n');
});
afterEach(() => dir.remove());

const files = (rev: number): Record<string, string> => ({ 'station.yaml': `rev ${rev}\n`, 'profiles/p.yaml': `profile ${rev}\n` });
const trial = { deadline: '2026-12-01T10:00:00.000Z', expectOnline: ['cabinet-1'], onSite: null };
const revisions = (): string[] => readdirSync(store.revisionsDir).sort();

describe('the revision store', () => {
  it('with no pointer, run uses the on-site file', () => {
    expect(store.resolve(onSite)).toEqual({ source: 'on-site', file: onSite, revision: undefined });
  });

  it('stages a revision in its own folder with the document beside it, and runs it once on trial', () => {
    const staged = store.stage(4, files(4), 'jws-4');
    expect(staged.dir).toBe(join(store.revisionsDir, '4'));
    expect(readFileSync(join(staged.dir, 'profiles/p.yaml'), 'utf8')).toBe('profile 4\n');
    expect(readFileSync(join(staged.dir, DOCUMENT_FILE), 'utf8')).toBe('jws-4');
    expect(staged.record).toEqual({ revision: 4, documentHash: hashText('jws-4'), files: { 'station.yaml': hashText('rev 4\n'), 'profiles/p.yaml': hashText('profile 4\n') } });
    // Staged is not applied: the pointer does not name it yet.
    expect(store.resolve(onSite).source).toBe('on-site');
    store.beginTrial(staged, trial);
    expect(store.resolve(onSite)).toMatchObject({ source: 'revision', file: join(staged.dir, 'station.yaml'), revision: 4, state: 'trial' });
    expect(store.read()).toMatchObject({ lastGood: null, trial: { boots: 0, expectOnline: ['cabinet-1'] } });
  });

  it('commits: the revision is the last good one; the next trial keeps it, a rollback returns to it, older ones are pruned', () => {
    store.beginTrial(store.stage(1, files(1), 'd1'), trial);
    store.commit();
    store.beginTrial(store.stage(2, files(2), 'd2'), trial);
    // On trial, the revision before it is kept to go back to.
    expect(revisions()).toEqual(['1', '2']);
    store.commit();
    // Committed, it is the last good one itself: revision 1 is neither current nor last good.
    expect(revisions()).toEqual(['2']);
    store.beginTrial(store.stage(3, files(3), 'd3'), trial);
    expect(revisions()).toEqual(['2', '3']);
    expect(store.read()).toMatchObject({ current: { revision: 3 }, lastGood: { revision: 2 }, state: 'trial' });
    const back = store.rollback();
    expect(back).toMatchObject({ current: { revision: 2 }, lastGood: { revision: 2 }, state: 'committed', trial: null });
    expect(store.resolve(onSite)).toMatchObject({ source: 'revision', revision: 2, state: 'committed' });
    expect(revisions()).toEqual(['2']);
  });

  it('a revision on trial replaced by another on trial is never the last good one', () => {
    store.beginTrial(store.stage(1, files(1), 'd1'), trial);
    store.commit();
    store.beginTrial(store.stage(2, files(2), 'd2'), trial);
    store.beginTrial(store.stage(3, files(3), 'd3'), trial);
    expect(store.read()).toMatchObject({ current: { revision: 3 }, lastGood: { revision: 1 } });
    expect(revisions()).toEqual(['1', '3']);
  });

  it('rolling back the first revision ever returns the station to its on-site file', () => {
    store.beginTrial(store.stage(1, files(1), 'd1'), trial);
    expect(store.rollback()).toBeUndefined();
    expect(store.resolve(onSite)).toEqual({ source: 'on-site', file: onSite, revision: undefined });
    expect(existsSync(join(store.stateDir, 'active.json'))).toBe(false);
    expect(revisions()).toEqual([]);
  });

  it('counts the starts of a revision on trial in the pointer', () => {
    store.beginTrial(store.stage(1, files(1), 'd1'), trial);
    expect(store.noteTrialBoot()).toBe(1);
    expect(new RevisionStore(store.stateDir).noteTrialBoot()).toBe(2);
    store.commit();
    expect(store.noteTrialBoot()).toBe(0);
  });

  it('refuses to write outside its folder or over a revision it holds', () => {
    const err = (() => {
      try {
        store.stage(1, { 'station.yaml': 'x', '../../evil': 'x' }, 'd');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RemoteConfigError);
    expect((err as RemoteConfigError).code).toBe('CONFIG_PATH_UNSAFE');
    expect(existsSync(join(dir.path, 'evil'))).toBe(false);
    store.beginTrial(store.stage(1, files(1), 'd1'), trial);
    expect(() => store.stage(1, files(1), 'd1')).toThrow(/already in the store/);
  });

  it('a damaged pointer, or one naming a folder that is gone, falls back to the on-site file and says why', () => {
    store.beginTrial(store.stage(1, files(1), 'd1'), trial);
    writeFileSync(join(store.stateDir, 'active.json'), '{"version":1,');
    const damaged = store.resolve(onSite);
    expect(damaged).toMatchObject({ source: 'on-site', file: onSite });
    expect(damaged.source === 'on-site' && damaged.damaged?.code).toBe('CONFIG_STORE_DAMAGED');
    store.beginTrial(store.stage(2, files(2), 'd2'), trial);
    const gone = join(store.revisionsDir, '2', 'station.yaml');
    writeFileSync(gone, '');
    expect(store.resolve(onSite).source).toBe('revision');
    dir.remove();
    mkdirSync(store.stateDir, { recursive: true });
    expect(store.resolve(onSite)).toMatchObject({ source: 'on-site' });
  });

  it('clean-up removes what a killed apply left: stage folders, unnamed revisions, pointer temp files', () => {
    store.beginTrial(store.stage(1, files(1), 'd1'), trial);
    mkdirSync(join(store.revisionsDir, '.stage-2-abcd', 'profiles'), { recursive: true });
    mkdirSync(join(store.revisionsDir, '7'));
    writeFileSync(join(store.stateDir, 'active.json.1234.tmp'), '{');
    store.cleanUp();
    expect(revisions()).toEqual(['1']);
    expect(readdirSync(store.stateDir).sort()).toEqual(['active.json', 'revisions']);
  });
});

describe('drift', () => {
  it('is none right after an apply, and each file changed on site afterwards, with both hashes', () => {
    store.beginTrial(store.stage(1, files(1), 'd1'), { ...trial, onSite: { file: onSite, sha256: hashText('on site\n') } });
    store.commit();
    expect(detectDrift(store, store.read())).toEqual([]);
    const running = join(store.revisionsDir, '1', 'station.yaml');
    writeFileSync(running, 'rev 1\n# a crew was here\n');
    writeFileSync(onSite, 'on site, edited\n');
    expect(detectDrift(store, store.read())).toEqual([
      { file: running, expected: hashText('rev 1\n'), actual: hashText('rev 1\n# a crew was here\n') },
      { file: onSite, expected: hashText('on site\n'), actual: hashText('on site, edited\n') },
    ]);
    // Only the running revision's files stand in a new revision's way.
    expect(runningFileDrift(store, store.read()).map((d) => d.file)).toEqual([running]);
  });
});
