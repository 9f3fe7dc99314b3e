import { updateTopics, type UpdateReport, type UpdateReportState } from '../../cloud-bridge/update-contract.js';
import type { Clock } from '../../config/clock.js';
import { publish } from '../config/operator-connection.js';
import { isFinal, type StationOutcome } from './rollout-progress.js';
import type { UpdateReports } from './update-reports.js';

export interface WaveOptions {
  reports: UpdateReports;
  prefix: string;
  clock: Clock;
  phase: string;
  /** The stations to take to their outcome (those done before are left out by the caller). */
  stations: readonly string[];
  /** The revision of every document of this wave: a report naming it is about it. */
  revision: number;
  timeoutSeconds: number;
  /** The signed document of one station (the same bytes on every run: the signature is deterministic). */
  document: (station: string) => Promise<string>;
  onOutcome: (outcome: StationOutcome) => void;
  /** A publish the broker refused: the stations not published reach their timeout. */
  onPublishError: (err: Error) => void;
}

/** Where each station of a wave stands: its state on this document, or `waiting` for its first report. */
export type WaveState = UpdateReportState | 'waiting' | 'timed-out';

export interface Wave {
  /** Resolves when every station has its outcome (a timeout is one). */
  done: Promise<void>;
  states(): Map<string, WaveState>;
}

/**
 * Publishes each station its document, retained on `S/desired/version`, and follows its retained
 * `S/update` until it reports this revision committed, rejected or rolled back, or the timeout
 * passes. A station whose report is on this revision already (a run again after a stop or a
 * crash) is not published to again, only followed; one final already gets its outcome at once.
 */
export function startWave(o: WaveOptions): Wave {
  const open = new Set(o.stations);
  const timers = new Map<string, () => void>();
  const timedOut = new Set<string>();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const about = (r: UpdateReport | undefined): r is UpdateReport => r !== undefined && r.revision === o.revision;
  const finish = (station: string, outcome: StationOutcome): void => {
    if (!open.delete(station)) return;
    timers.get(station)?.();
    timers.delete(station);
    o.onOutcome(outcome);
    if (open.size === 0) {
      off();
      resolveDone();
    }
  };
  const settle = (station: string, r: UpdateReport): void => {
    if (!about(r) || !isFinal(r.state)) return;
    finish(station, {
      phase: o.phase,
      station,
      state: r.state as StationOutcome['state'],
      running: r.running,
      ...(r.code !== undefined ? { code: r.code } : {}),
      problems: r.problems,
      ts: r.ts,
    });
  };
  const off = o.reports.onReport((station, r) => {
    if (open.has(station)) settle(station, r);
  });

  if (open.size === 0) {
    off();
    resolveDone();
  }
  void (async () => {
    const pending: Promise<void>[] = [];
    for (const station of o.stations) {
      const known = o.reports.latest.get(station);
      timers.set(
        station,
        o.clock.after(o.timeoutSeconds * 1000, () => {
          timedOut.add(station);
          const last = o.reports.latest.get(station);
          finish(station, {
            phase: o.phase,
            station,
            state: 'timed-out',
            running: last?.running ?? null,
            problems: [about(last) ? `no final report within ${o.timeoutSeconds} s; last reported ${last.state}` : `no report on this document within ${o.timeoutSeconds} s`],
            ts: new Date(o.clock.now()).toISOString(),
          });
        }),
      );
      if (about(known)) {
        settle(station, known);
        continue;
      }
      const jws = await o.document(station);
      if (!open.has(station)) continue;
      pending.push(publish(o.reports.connection, updateTopics(o.prefix, station).desired, JSON.stringify({ document: jws }), true));
      // A few hundred PUBACKs awaited at a time: the client's queue stays short.
      if (pending.length >= 200) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  })().catch((err: unknown) => o.onPublishError(err instanceof Error ? err : new Error(String(err))));

  return {
    done,
    states: () => {
      const m = new Map<string, WaveState>();
      for (const s of o.stations) {
        const r = o.reports.latest.get(s);
        m.set(s, timedOut.has(s) ? 'timed-out' : about(r) ? r.state : 'waiting');
      }
      return m;
    },
  };
}
