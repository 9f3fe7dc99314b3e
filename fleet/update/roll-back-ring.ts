import type { BundleRef } from '../../cloud-bridge/update-contract.js';
import { keepAliveClock } from '../../config/clock.js';
import type { ReleaseArch } from '../../config/release-manifest.js';
import { UsageError } from '../../config/usage-error.js';
import { connectOperator, disconnect } from '../config/operator-connection.js';
import { bundlesByArch, type BundleFile } from './bundle-files.js';
import { countOutcomes, outcomeLines, outcomeWords, LIST_COMMITTED_UP_TO, seconds, waveSummary, type OutcomeCounts } from './progress-lines.js';
import { nextRevision } from './rollout-plan.js';
import { rollbackPhase, RolloutProgress, type StationOutcome } from './rollout-progress.js';
import { ROLLOUT_PHASE, withSummaries, type FleetUpdateConnection } from './run-rollout.js';
import { signReleaseDocument } from './sign-release-document.js';
import { UpdateReports } from './update-reports.js';
import { startWave } from './update-wave.js';

export interface RollbackOptions extends FleetUpdateConnection {
  /** The ring to take back, 1 for the first. */
  ring: number;
  /** The bundles of every version the ring's stations ran before, one per architecture. */
  bundles: readonly BundleFile[];
}

export interface RollbackSummary extends OutcomeCounts {
  ring: number;
  id: string;
  revision: number;
  /** The ring's stations with no version recorded before the rollout: nothing to go back to. */
  unknown: string[];
  /** Versions gone back to, with how many stations each. */
  versions: Record<string, number>;
  elapsedMs: number;
}

/**
 * `station-fleet update --rollback-ring N`: each station of that ring gets a document, with a
 * revision newer than the rollout's, for the version it ran before the rollout reached it (as its
 * reports said and the progress file recorded), and is followed to its outcome. A station that
 * never moved gets it too: its desired version must stop saying the new one. Resumable as the
 * rollout is, under its own heading in the same progress file.
 */
export async function rollBackRing(o: RollbackOptions): Promise<RollbackSummary> {
  const clock = o.clock ?? keepAliveClock;
  const started = clock.now();
  if (!RolloutProgress.exists(o.progressFile)) throw new UsageError(`--rollback-ring needs the rollout's progress file; ${o.progressFile} does not exist`);
  const progress = RolloutProgress.open(o.progressFile);
  const h = progress.header;
  const members = h.rings[o.ring - 1];
  if (!members) throw new UsageError(`rollout ${h.id} has ${h.rings.length} rings; there is no ring ${o.ring}`);
  if (progress.lastRingEvent(ROLLOUT_PHASE, o.ring) === undefined) throw new UsageError(`ring ${o.ring} of rollout ${h.id} never started: its stations run what they ran`);
  const unknown = members.filter((s) => !progress.before.has(s));
  const stations = members.filter((s) => progress.before.has(s));
  const versions: Record<string, number> = {};
  for (const s of stations) versions[progress.before.get(s) as string] = (versions[progress.before.get(s) as string] ?? 0) + 1;
  const bundles = bundlesOfVersions(Object.keys(versions), o.bundles);
  const client = await connectOperator(o.broker);
  try {
    const reports = await UpdateReports.follow(client, o.prefix, stations);
    await reports.collect(stations, (o.collectSeconds ?? 3) * 1000);
    let rb = progress.rollbacks.get(o.ring);
    const phase = rollbackPhase(o.ring);
    if (rb) {
      o.out(`resuming the rollback of ring ${o.ring}: ${stations.filter((s) => progress.isDone(phase, s)).length} of ${stations.length} stations final already`);
    } else {
      const now = new Date(clock.now());
      const highest = Math.max(h.revision, reports.highestRevision() ?? 0, ...[...progress.rollbacks.values()].map((r) => r.revision));
      rb = { ring: o.ring, id: `${h.id.slice(0, 52)}-back${o.ring}`, revision: nextRevision(now.getTime(), highest), issuedAt: now.toISOString(), startedAt: now.toISOString() };
      progress.recordRollback(rb);
    }
    const revision = rb.revision;
    const issuedAt = new Date(rb.issuedAt);
    const id = rb.id;
    o.out(`rolling back ring ${o.ring}/${h.rings.length} of rollout ${h.id}: ${stations.length} stations to the version each ran before (${Object.entries(versions).map(([v, n]) => `${v}: ${n}`).join(', ')}), revision ${revision}`);
    for (const s of unknown) o.out(`${s}  not rolled back: no report of the version it ran before the rollout`);
    const todo = stations.filter((s) => !progress.isDone(phase, s));
    const before = countOutcomes(stations.map((s) => progress.outcomesOf(phase).get(s)).filter((x): x is StationOutcome => x !== undefined && x.state !== 'timed-out'));
    const wave = startWave({
      reports,
      prefix: o.prefix,
      clock,
      phase,
      stations: todo,
      revision,
      timeoutSeconds: o.timeoutSeconds,
      document: (station) => {
        const version = progress.before.get(station) as string;
        return signReleaseDocument(o.key, { station, revision, version, bundles: bundles.get(version) as Partial<Record<ReleaseArch, BundleRef>>, issuedAt, rollout: id });
      },
      onOutcome: (outcome) => {
        progress.recordOutcome(outcome);
        if (outcome.state !== 'committed' || stations.length <= LIST_COMMITTED_UP_TO) for (const line of outcomeLines(outcome)) o.out(line);
      },
      onPublishError: (err) => o.out(`publishing stopped: ${err.message}; the stations not published count as no report when their time is up`),
    });
    await withSummaries(wave, o, clock, started, () => `rollback of ring ${o.ring}: ${waveSummary(wave.states(), before, stations.length)}`);
    const counts = countOutcomes(stations.map((s) => progress.outcomesOf(phase).get(s)).filter((x): x is StationOutcome => x !== undefined));
    const elapsedMs = clock.now() - started;
    o.out(`rollback of ring ${o.ring} finished: ${outcomeWords(counts)}${unknown.length > 0 ? `, ${unknown.length} with no version to go back to` : ''} (${seconds(elapsedMs)})`);
    return { ring: o.ring, id, revision, unknown, versions, elapsedMs, ...counts };
  } finally {
    progress.close();
    await disconnect(client);
  }
}

/** Each version's bundles by architecture, from `--bundle`; a version with none is refused before anything is published. */
function bundlesOfVersions(versions: readonly string[], files: readonly BundleFile[]): Map<string, Partial<Record<ReleaseArch, BundleRef>>> {
  const out = new Map<string, Partial<Record<ReleaseArch, BundleRef>>>();
  for (const v of versions) {
    const mine = files.filter((f) => f.version === v);
    if (mine.length === 0) throw new UsageError(`the ring goes back to ${v}: give --bundle station-gateway-${v}-linux-<arch>.tar.gz for each architecture`);
    out.set(v, bundlesByArch(mine));
  }
  return out;
}
