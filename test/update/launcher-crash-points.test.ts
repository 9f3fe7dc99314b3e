import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decideLaunch, type LaunchDecision } from '../../gateway/update/launcher/launch-decision.js';
import { nodeFileOps, type LayoutFileOps } from '../../gateway/update/launcher/layout-file-ops.js';
import { ReleaseLayout } from '../../gateway/update/launcher/release-layout.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeRelease } from './fixtures-launcher/fake-releases.js';

/*
 * A kill -9 or a power cut between any two file-system steps of a layout change: the steps made
 * before it are on disk, none after. For every step k of every change, the change is cut after
 * its k-th step, then a fresh layout and the launcher's decision run on the same folder: the
 * release chosen must be complete and the state must name it.
 */

class PowerCut extends Error {}

/** The real file operations, dead after `budget` of them (every later one throws, like a cut-off box). */
function cutAfter(budget: number): { ops: LayoutFileOps; used(): number } {
  let used = 0;
  const step =
    <A extends unknown[]>(f: (...a: A) => void) =>
    (...a: A): void => {
      if (used >= budget) throw new PowerCut(`power cut after step ${budget}`);
      used++;
      f(...a);
    };
  return {
    ops: {
      writeNewFile: step(nodeFileOps.writeNewFile),
      symlink: step(nodeFileOps.symlink),
      rename: step(nodeFileOps.rename),
      syncFolder: step(nodeFileOps.syncFolder),
      remove: step(nodeFileOps.remove),
    },
    used: () => used,
  };
}

const T0 = Date.parse('2026-12-01T10:00:00Z');
const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function freshRoot(versions: string[]): string {
  const dir = tempDir('launcher-crash-');
  dirs.push(dir);
  for (const v of versions) makeRelease(dir.path, v, 'run');
  return dir.path;
}

/** The invariant after any cut: a complete release starts, and the state says which and how. */
function assertRunnable(root: string, d: LaunchDecision): void {
  const layout = new ReleaseLayout(root);
  expect(layout.hasRelease(d.version)).toBe(true);
  expect(existsSync(d.entry)).toBe(true);
  expect(layout.currentVersion()).toBe(d.version);
  const state = layout.readState();
  if (d.trial) {
    expect(state?.trial?.version).toBe(d.version);
    expect(state?.trial?.boots).toBe(d.trial.boots);
  } else {
    expect(state?.committed).toBe(d.version);
    expect(state?.trial).toBeUndefined();
  }
}

/**
 * A trial that ended by going back is never forgotten: had the link moved back before the state
 * said so, a cut between would read as a switch that never happened, and the agent would try the
 * failed version again with no record of why it failed.
 */
function rollbackOnRecord(root: string, d: LaunchDecision): void {
  if (d.version === '1.0.0') expect(new ReleaseLayout(root).readState()?.lastRollback?.version).toBe('1.1.0');
}

interface Scenario {
  name: string;
  /** Builds the folder as it is before the change (with the real, uncut operations). */
  setup(root: string): void;
  /** The change, through a layout on the cut operations. */
  change(layout: ReleaseLayout): void;
  /** The versions that may run afterwards, by how far the change got. */
  allowed: string[];
  /** The releases on disk before it (default 0.8.0 to 1.1.0). */
  versions?: string[];
  /** The checking decisions' limit (default 5: a cut trial boots again rather than rolling back). */
  maxTrialBoots?: number;
  /** More to check once the change is complete (no cut). */
  after?(root: string, d: LaunchDecision, completed: boolean): void;
}

const onTrial = (root: string, boots: number): void => {
  const l = new ReleaseLayout(root);
  l.bootstrap('1.0.0');
  l.beginTrial({ version: '1.1.0', trialSeconds: 600, now: T0 });
  for (let i = 0; i < boots; i++) decideLaunch(l, { now: T0 + 1000, maxTrialBoots: 5 });
};

const scenarios: Scenario[] = [
  {
    name: 'bootstrap',
    setup: () => undefined,
    change: (l) => l.bootstrap('1.0.0'),
    versions: ['1.0.0'],
    allowed: ['1.0.0'],
  },
  {
    name: 'beginTrial',
    setup: (root) => new ReleaseLayout(root).bootstrap('1.0.0'),
    change: (l) => l.beginTrial({ version: '1.1.0', trialSeconds: 600, now: T0 }),
    allowed: ['1.0.0', '1.1.0'],
    after: (_root, d, completed) => {
      if (completed) expect(d.trial?.boots).toBe(1);
    },
  },
  {
    name: 'commitTrial',
    setup: (root) => onTrial(root, 1),
    change: (l) => l.commitTrial(T0 + 5000),
    // Committed or still on trial, it is the new version that runs.
    allowed: ['1.1.0'],
    after: (root, d, completed) => {
      if (!completed) return;
      expect(d.trial).toBeUndefined();
      expect(new ReleaseLayout(root).readState()).toMatchObject({ committed: '1.1.0', previous: '1.0.0' });
    },
  },
  {
    name: 'failTrial',
    setup: (root) => onTrial(root, 1),
    change: (l) => l.failTrial('UPDATE_GATE_FAILED', 'devices never came online'),
    allowed: ['1.0.0', '1.1.0'],
    after: (root, d, completed) => {
      rollbackOnRecord(root, d);
      if (completed) expect(d.version).toBe('1.0.0');
    },
  },
  {
    name: 'rollBack',
    setup: (root) => onTrial(root, 1),
    change: (l) => l.rollBack('UPDATE_GATE_FAILED', 'broker never connected', T0 + 5000),
    allowed: ['1.0.0', '1.1.0'],
    after: (root, d, completed) => {
      rollbackOnRecord(root, d);
      if (completed) expect(new ReleaseLayout(root).readState()?.lastRollback).toMatchObject({ version: '1.1.0', code: 'UPDATE_GATE_FAILED', reported: false });
    },
  },
  {
    name: 'the decision itself, rolling back a trial past its boots',
    setup: (root) => onTrial(root, 2),
    change: (l) => decideLaunch(l, { now: T0 + 2000, maxTrialBoots: 2 }),
    maxTrialBoots: 2,
    allowed: ['1.0.0'],
    after: (root, d) => rollbackOnRecord(root, d),
  },
  {
    name: 'prune',
    setup: (root) => {
      const l = new ReleaseLayout(root);
      l.bootstrap('0.8.0');
      l.bootstrap('0.9.0');
      l.bootstrap('1.0.0');
      l.beginTrial({ version: '1.1.0', trialSeconds: 600, now: T0 });
      l.commitTrial(T0);
      makeRelease(root, '1.2.0', 'run');
      const partial = l.partialDir('1.3.0');
      makeRelease(root, '1.3.0', 'run');
      nodeFileOps.rename(l.releaseDir('1.3.0'), partial);
      writeFileSync(join(root, 'current.0123abcd.tmp'), '');
    },
    change: (l) => l.prune(),
    allowed: ['1.1.0'],
    after: (root, _d, completed) => {
      const l = new ReleaseLayout(root);
      expect(l.hasRelease('1.0.0')).toBe(true);
      expect(l.hasRelease('1.1.0')).toBe(true);
      // A cut prune is finished by the next one.
      if (!completed) l.prune();
      expect(readdirSync(l.releasesDir()).sort()).toEqual(['1.0.0', '1.1.0']);
      expect(readdirSync(root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    },
  },
];

describe('a release layout cut off after every file-system step', () => {
  for (const s of scenarios) {
    it(`${s.name}: every cut leaves a complete release that the state names`, () => {
      const versions = s.versions ?? ['0.8.0', '0.9.0', '1.0.0', '1.1.0'];
      const maxTrialBoots = s.maxTrialBoots ?? 5;
      // The uncut change, to count its steps.
      const whole = freshRoot(versions);
      s.setup(whole);
      const counter = cutAfter(Number.MAX_SAFE_INTEGER);
      s.change(new ReleaseLayout(whole, counter.ops));
      const steps = counter.used();
      expect(steps).toBeGreaterThan(0);
      const chosen = new Set<string>();
      for (let k = 0; k <= steps; k++) {
        const root = freshRoot(versions);
        s.setup(root);
        const cut = cutAfter(k);
        if (k < steps) expect(() => s.change(new ReleaseLayout(root, cut.ops))).toThrow(PowerCut);
        else s.change(new ReleaseLayout(root, cut.ops));
        const d = decideLaunch(new ReleaseLayout(root), { now: T0 + 3000, maxTrialBoots });
        expect(s.allowed, `cut after step ${k} of ${steps}`).toContain(d.version);
        assertRunnable(root, d);
        s.after?.(root, d, k === steps);
        // A second decision (the launcher killed in turn) agrees with the first.
        const again = decideLaunch(new ReleaseLayout(root), { now: T0 + 4000, maxTrialBoots });
        expect(again.version).toBe(d.version);
        assertRunnable(root, again);
        chosen.add(d.version);
      }
      // Both outcomes were reached where two are allowed: the cuts fell on both sides of the switch.
      expect([...chosen].sort()).toEqual([...s.allowed].sort());
    });
  }
});

type Step = { op: 'begin'; version: string } | { op: 'commit' } | { op: 'fail' } | { op: 'rollBack' } | { op: 'prune' } | { op: 'decide' };

describe('random histories of updates, cut at a random step', () => {
  it('always leave a complete release that the state names', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constantFrom('1.1.0', '1.2.0', '1.3.0').map((version) => ({ op: 'begin' as const, version })),
      fc.constant({ op: 'commit' as const }),
      fc.constant({ op: 'fail' as const }),
      fc.constant({ op: 'rollBack' as const }),
      fc.constant({ op: 'prune' as const }),
      fc.constant({ op: 'decide' as const }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), fc.nat(60), (history, budget) => {
        const root = freshRoot(['1.0.0', '1.1.0', '1.2.0', '1.3.0']);
        new ReleaseLayout(root).bootstrap('1.0.0');
        const cut = cutAfter(budget);
        const layout = new ReleaseLayout(root, cut.ops);
        let now = T0;
        try {
          for (const h of history) {
            now += 1000;
            try {
              if (h.op === 'begin') layout.beginTrial({ version: h.version, trialSeconds: 600, now });
              else if (h.op === 'commit') layout.commitTrial(now);
              else if (h.op === 'fail') layout.failTrial('UPDATE_GATE_FAILED', 'test');
              else if (h.op === 'rollBack') layout.rollBack('UPDATE_GATE_FAILED', 'test', now);
              else if (h.op === 'prune') layout.prune();
              else decideLaunch(layout, { now, maxTrialBoots: 3 });
            } catch (err) {
              if (err instanceof PowerCut) throw err;
              // A step its state refuses (commit with no trial, a pruned version): the history goes on.
            }
          }
        } catch (err) {
          if (!(err instanceof PowerCut)) throw err;
        }
        const d = decideLaunch(new ReleaseLayout(root), { now: now + 1000, maxTrialBoots: 3 });
        assertRunnable(root, d);
        dirs.splice(0).forEach((x) => x.remove());
      }),
      { numRuns: 150 },
    );
  });
});
