import type { StationOutcome } from './rollout-progress.js';
import type { WaveState } from './update-wave.js';

/*
 * The lines a rollout prints, in the words and order `station-fleet config push` uses: a line per
 * station that failed (and per station that committed, in a ring small enough to read), a line
 * per ring started and ended, a summary every few seconds, one at the end.
 */

const MAX_PROBLEMS_SHOWN = 5;
/** A ring larger than this prints its failures only, not a line per station committed. */
export const LIST_COMMITTED_UP_TO = 50;

/** The states a summary line counts, in the order an update passes them. */
const IN_FLIGHT_ORDER: readonly WaveState[] = ['waiting', 'deferred', 'downloading', 'verifying', 'installing', 'switching', 'trial'];

export interface OutcomeCounts {
  committed: number;
  rejected: number;
  rolledBack: number;
  timedOut: number;
}

export function countOutcomes(outcomes: Iterable<StationOutcome>): OutcomeCounts {
  const c: OutcomeCounts = { committed: 0, rejected: 0, rolledBack: 0, timedOut: 0 };
  for (const o of outcomes) {
    if (o.state === 'committed') c.committed++;
    else if (o.state === 'rejected') c.rejected++;
    else if (o.state === 'rolled-back') c.rolledBack++;
    else c.timedOut++;
  }
  return c;
}

export const failuresOf = (c: OutcomeCounts): number => c.rejected + c.rolledBack + c.timedOut;

export function outcomeWords(c: OutcomeCounts): string {
  return `${c.committed} committed, ${c.rejected} rejected, ${c.rolledBack} rolled back, ${c.timedOut} no report`;
}

/** `fleet-00012  rolled back (UPDATE_GATE_FAILED), runs 0.1.0`, then its problems indented. */
export function outcomeLines(o: StationOutcome): string[] {
  const state = o.state === 'rolled-back' ? 'rolled back' : o.state === 'timed-out' ? 'no final report in time' : o.state;
  const lines = [`${o.station}  ${state}${o.code ? ` (${o.code})` : ''}${o.running !== null ? `, runs ${o.running}` : ''}`];
  for (const p of o.problems.slice(0, MAX_PROBLEMS_SHOWN)) lines.push(`    ${p}`);
  if (o.problems.length > MAX_PROBLEMS_SHOWN) lines.push(`    ... and ${o.problems.length - MAX_PROBLEMS_SHOWN} more`);
  return lines;
}

/** `12/200 final: 10 committed, ...; 150 downloading, 38 trial`: how a wave stands now. */
export function waveSummary(states: ReadonlyMap<string, WaveState>, doneBefore: OutcomeCounts, total: number): string {
  const counts = new Map<WaveState, number>();
  for (const s of states.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
  const c: OutcomeCounts = {
    committed: doneBefore.committed + (counts.get('committed') ?? 0),
    rejected: doneBefore.rejected + (counts.get('rejected') ?? 0),
    rolledBack: doneBefore.rolledBack + (counts.get('rolled-back') ?? 0),
    timedOut: doneBefore.timedOut + (counts.get('timed-out') ?? 0),
  };
  const final = c.committed + c.rejected + c.rolledBack + c.timedOut;
  const flying = IN_FLIGHT_ORDER.filter((s) => (counts.get(s) ?? 0) > 0).map((s) => `${counts.get(s)} ${s}`);
  return `${final}/${total} final: ${outcomeWords(c)}${flying.length > 0 ? `; ${flying.join(', ')}` : ''}`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
