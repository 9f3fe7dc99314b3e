import type { UpdateReport } from '../../cloud-bridge/update-contract.js';
import { keepAliveClock, type Clock } from '../../config/clock.js';
import { UsageError } from '../../config/usage-error.js';
import type { ConfigSigningKey } from '../config/config-keys.js';
import { connectOperator, disconnect, type OperatorBroker } from '../config/operator-connection.js';
import { bundlesByArch, type BundleFile } from './bundle-files.js';
import { countOutcomes, failuresOf, LIST_COMMITTED_UP_TO, outcomeLines, outcomeWords, seconds, waveSummary, type OutcomeCounts } from './progress-lines.js';
import { allowedFailures, DEFAULT_RINGS, defaultRolloutId, formatThreshold, nextRevision, planRings, parseRings, stationsFingerprint, thresholdPassed, type FailureThreshold } from './rollout-plan.js';
import { RolloutProgress, type RolloutHeader, type StationOutcome } from './rollout-progress.js';
import { signReleaseDocument } from './sign-release-document.js';
import { UpdateReports } from './update-reports.js';
import { startWave, type Wave } from './update-wave.js';

export interface FleetUpdateConnection {
  broker: OperatorBroker;
  prefix: string;
  key: ConfigSigningKey;
  progressFile: string;
  /** How long one station has, from its document's publication, to report committed, rejected or rolled back. */
  timeoutSeconds: number;
  out: (line: string) => void;
  /** Seconds between two summary lines (default 10; 0 for none). */
  summaryEverySeconds?: number;
  /** How long to wait for the stations' retained reports before publishing (default 3 s; ends when all have come). */
  collectSeconds?: number;
  clock?: Clock;
}

export interface RolloutOptions extends FleetUpdateConnection {
  stations: readonly string[];
  /** Required for a new rollout; a run again takes its own from the progress file. */
  version?: string | undefined;
  bundles: readonly BundleFile[];
  /** `--rings`; default 1,10%,rest. A run again takes the rings from the progress file. */
  ringSpec?: string | undefined;
  threshold: FailureThreshold;
  rolloutId?: string | undefined;
}

export interface RingResult extends OutcomeCounts {
  ring: number;
  stations: number;
  /** The most failures the ring could have and pass. */
  allowed: number;
  passed: boolean;
}

export interface RolloutSummary {
  id: string;
  version: string;
  revision: number;
  rings: number;
  /** The rings this run took to an end (a ring passed in an earlier run is not in it). */
  results: RingResult[];
  /** The ring whose failures passed the threshold; later rings got no document. */
  stoppedAtRing: number | undefined;
  completed: boolean;
  elapsedMs: number;
}

export const ROLLOUT_PHASE = 'rollout';

/**
 * `station-fleet update`: one ring after another, each station its own signed document, each ring
 * followed to every station's outcome; a ring whose failures pass the threshold stops the
 * rollout, and no later ring gets a document. Everything is in the progress file as it happens,
 * so a run again (after a stop, a crash, or with a higher threshold) carries on at the ring it
 * was in and publishes nothing to a station already final.
 */
export async function runRollout(o: RolloutOptions): Promise<RolloutSummary> {
  const clock = o.clock ?? keepAliveClock;
  const started = clock.now();
  const resumed = RolloutProgress.exists(o.progressFile) ? RolloutProgress.open(o.progressFile) : undefined;
  if (resumed) checkResume(resumed.header, o);
  else checkNew(o);
  const client = await connectOperator(o.broker);
  let progress: RolloutProgress | undefined = resumed;
  try {
    const stations = resumed ? resumed.header.rings.flat() : o.stations;
    const reports = await UpdateReports.follow(client, o.prefix, stations);
    await reports.collect(stations, (o.collectSeconds ?? 3) * 1000);
    if (!progress) progress = RolloutProgress.create(o.progressFile, newHeader(o, reports, clock));
    const p = progress;
    const h = p.header;
    const recordBefore = (station: string, r: UpdateReport): void => {
      // Until it commits this rollout's revision a station runs what it ran before.
      if (r.revision !== null && r.revision >= h.revision && (r.revision > h.revision || r.state === 'committed')) return;
      p.recordBefore(station, r.running);
    };
    for (const [station, r] of reports.latest) recordBefore(station, r);
    reports.onReport(recordBefore);

    const total = h.rings.length;
    if (resumed) {
      const done = stations.filter((s) => p.isDone(ROLLOUT_PHASE, s)).length;
      o.out(`resuming ${o.progressFile}: rollout ${h.id} of ${h.version}, ${done} of ${stations.length} stations final already`);
    } else {
      o.out(`rollout ${h.id}: ${h.version} to ${stations.length} stations in ${total} rings (${h.rings.map((r) => r.length).join(', ')}), revision ${h.revision}; a ring stops it past ${formatThreshold(o.threshold)} failed`);
    }
    const bundles = h.bundles;
    const issuedAt = new Date(h.issuedAt);
    const results: RingResult[] = [];
    let stoppedAtRing: number | undefined;
    for (let i = 0; i < total; i++) {
      const ring = i + 1;
      if (p.lastRingEvent(ROLLOUT_PHASE, ring)?.event === 'passed') continue;
      const members = h.rings[i] as string[];
      const allowed = allowedFailures(o.threshold, members.length);
      const todo = members.filter((s) => !p.isDone(ROLLOUT_PHASE, s));
      const before = countOutcomes(members.map((s) => p.outcomesOf(ROLLOUT_PHASE).get(s)).filter((x): x is StationOutcome => x !== undefined && x.state !== 'timed-out'));
      const ringStart = clock.now();
      o.out(`ring ${ring}/${total} started: ${members.length} station${members.length === 1 ? '' : 's'}${todo.length < members.length ? ` (${members.length - todo.length} final already)` : ''}; stops the rollout past ${allowed} failed`);
      p.recordRing({ phase: ROLLOUT_PHASE, ring, event: 'started', ts: new Date(clock.now()).toISOString() });
      const wave = startWave({
        reports,
        prefix: o.prefix,
        clock,
        phase: ROLLOUT_PHASE,
        stations: todo,
        revision: h.revision,
        timeoutSeconds: o.timeoutSeconds,
        document: (station) => signReleaseDocument(o.key, { station, revision: h.revision, version: h.version, bundles, issuedAt, rollout: h.id }),
        onOutcome: (outcome) => {
          p.recordOutcome(outcome);
          if (outcome.state !== 'committed' || members.length <= LIST_COMMITTED_UP_TO) for (const line of outcomeLines(outcome)) o.out(line);
        },
        onPublishError: (err) => o.out(`publishing stopped: ${err.message}; the stations not published count as no report when their time is up`),
      });
      await withSummaries(wave, o, clock, started, () => `ring ${ring}/${total}: ${waveSummary(wave.states(), before, members.length)}`);
      const counts = countOutcomes(members.map((s) => p.outcomesOf(ROLLOUT_PHASE).get(s)).filter((x): x is StationOutcome => x !== undefined));
      const failures = failuresOf(counts);
      const passed = !thresholdPassed(failures, members.length, o.threshold);
      results.push({ ring, stations: members.length, allowed, passed, ...counts });
      p.recordRing({ phase: ROLLOUT_PHASE, ring, event: passed ? 'passed' : 'stopped', failures, allowed, ts: new Date(clock.now()).toISOString() });
      if (passed) {
        o.out(`ring ${ring}/${total} passed: ${outcomeWords(counts)} (${seconds(clock.now() - ringStart)})`);
        continue;
      }
      stoppedAtRing = ring;
      const untouched = h.rings.slice(ring).reduce((n, r) => n + r.length, 0);
      const later = ring === total ? 'it was the last ring' : ring + 1 === total ? `ring ${total} (${untouched} stations) gets no document` : `rings ${ring + 1}..${total} (${untouched} stations) get no document`;
      o.out(`ring ${ring}/${total} stopped the rollout: ${failures} of ${members.length} stations failed (${outcomeWords(counts)}), more than the ${allowed} allowed (${formatThreshold(o.threshold)}); ${later}`);
      o.out(`  roll the ring back with --rollback-ring ${ring}, or run again with a higher --failure-threshold to carry on`);
      break;
    }
    const all = countOutcomes(stations.map((s) => p.outcomesOf(ROLLOUT_PHASE).get(s)).filter((x): x is StationOutcome => x !== undefined));
    const elapsedMs = clock.now() - started;
    const untouched = stations.length - (all.committed + all.rejected + all.rolledBack + all.timedOut);
    o.out(
      `rollout ${h.id} ${stoppedAtRing === undefined ? 'finished' : `stopped at ring ${stoppedAtRing}/${total}`}: ${outcomeWords(all)}${untouched > 0 ? `, ${untouched} not published` : ''} (${seconds(elapsedMs)})`,
    );
    return { id: h.id, version: h.version, revision: h.revision, rings: total, results, stoppedAtRing, completed: stoppedAtRing === undefined, elapsedMs };
  } finally {
    progress?.close();
    await disconnect(client);
  }
}

function checkNew(o: RolloutOptions): void {
  if (o.stations.length === 0) throw new UsageError('no stations to update');
  if (new Set(o.stations).size !== o.stations.length) throw new UsageError('a station is listed twice; each is in one ring');
  if (o.version === undefined) throw new UsageError('--version V is required (for a new rollout; a run again takes it from the progress file)');
  if (o.bundles.length === 0) throw new UsageError('--bundle FILE is required (one per architecture)');
  const wrong = o.bundles.find((b) => b.version !== o.version);
  if (wrong) throw new UsageError(`${wrong.file} is a bundle of ${wrong.version}, not of ${o.version}`);
  bundlesByArch(o.bundles);
}

function checkResume(h: RolloutHeader, o: RolloutOptions): void {
  const other = (what: string): UsageError => new UsageError(`${o.progressFile} is the progress of rollout ${h.id} (${h.version}); it was started with another ${what}: give this rollout a progress file of its own`);
  if (o.version !== undefined && o.version !== h.version) throw other('version');
  if (o.rolloutId !== undefined && o.rolloutId !== h.id) throw other('--rollout');
  if (o.ringSpec !== undefined && o.ringSpec !== h.ringSpec) throw other(`--rings (${h.ringSpec})`);
  if (o.stations.length > 0 && stationsFingerprint(o.stations) !== h.stations) throw other('list of stations');
  if (o.bundles.length > 0 && !sameBundles(bundlesByArch(o.bundles), h.bundles)) throw other('set of bundles');
}

/** The same bundles by architecture, in whatever order `--bundle` named them. */
function sameBundles(a: RolloutHeader['bundles'], b: RolloutHeader['bundles']): boolean {
  const canonical = (x: RolloutHeader['bundles']): string => JSON.stringify(Object.entries(x).sort(([p], [q]) => p.localeCompare(q)));
  return canonical(a) === canonical(b);
}

function newHeader(o: RolloutOptions, reports: UpdateReports, clock: Clock): RolloutHeader {
  const now = new Date(clock.now());
  const version = o.version as string;
  return {
    id: o.rolloutId ?? defaultRolloutId(version, now),
    version,
    revision: nextRevision(now.getTime(), reports.highestRevision()),
    issuedAt: now.toISOString(),
    startedAt: now.toISOString(),
    ringSpec: o.ringSpec ?? DEFAULT_RINGS,
    stations: stationsFingerprint(o.stations),
    rings: planRings(o.stations, parseRings(o.ringSpec ?? DEFAULT_RINGS)),
    bundles: bundlesByArch(o.bundles),
  };
}

/** Waits for a wave, printing `[T s] <summary>` every `summaryEverySeconds`. */
export async function withSummaries(wave: Wave, o: FleetUpdateConnection, clock: Clock, started: number, line: () => string): Promise<void> {
  const every = o.summaryEverySeconds ?? 10;
  let cancel: (() => void) | undefined;
  const tick = (): void => {
    o.out(`[${Math.round((clock.now() - started) / 1000)} s] ${line()}`);
    cancel = clock.after(every * 1000, tick);
  };
  if (every > 0) cancel = clock.after(every * 1000, tick);
  try {
    await wave.done;
  } finally {
    cancel?.();
  }
}
