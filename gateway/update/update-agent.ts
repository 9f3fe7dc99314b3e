import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../config/clock.js';
import type { ReleaseArch } from '../../config/release-manifest.js';
import type { TrustedKeys } from '../../config/trusted-keys.js';
import { bundleName } from '../../config/release-manifest.js';
import type { UpdateReport, UpdateReportState } from '../../cloud-bridge/update-contract.js';
import type { HealthGate } from '../remote-config/health-gate.js';
import { AcceptedDocument } from './accepted-document.js';
import { workerDiskWork, type DiskWork } from './disk-work.js';
import { downloadBundle } from './download-bundle.js';
import type { ReleaseLayout } from './launcher/release-layout.js';
import { UpdateError, type UpdateCode } from './update-error.js';
import { BundleError, verifyBundleSignature } from './verify-bundle.js';
import { claimedRelease, desiredDocument, releaseDocumentHash, verifyReleaseDocument, type VerifiedRelease } from './verify-release-document.js';

/** A new version has this long beyond its health gate to start before the launcher gives up on it. */
export const TRIAL_START_MARGIN_SECONDS = 90;
/** While a swap or a water session runs, the agent looks again this often. */
const DEFER_POLL_MS = 2000;
/** Download progress is reported at most this often (a retained message per report). */
const PROGRESS_EVERY_MS = 5000;
const MAX_PROBLEMS = 20;
const MAX_PROBLEM_CHARS = 400;

export interface UpdateAgentOptions {
  stationId: string;
  /** The launcher's release layout; undefined when the gateway was not started by the launcher. */
  layout: ReleaseLayout | undefined;
  /** The fleet configuration keys: a release document must be signed by one. */
  keys: TrustedKeys;
  /** The release key's public half: every bundle must be signed by it. */
  releaseKey: KeyObject;
  arch: ReleaseArch;
  nodeMajor: number;
  /** The version this process runs. */
  running: string;
  clock: Clock;
  download: {
    ca?: string | undefined;
    bytesPerSecond?: number | undefined;
    maxBytes: number;
    /** downloadBundle's defaults when absent (5 attempts, 1 s apart and doubling, a stall after 30 s). */
    attempts?: number | undefined;
    retryDelayMs?: number | undefined;
    stallMs?: number | undefined;
  };
  gateSeconds: number;
  publish(report: UpdateReport): void;
  /** What would be cut short by a restart now (a swap, a water session), in words; empty when nothing. */
  activeSessions(): string[];
  /** The devices online now: the new version must bring them online again. */
  onlineDevices(): string[];
  /** Runs the unpacked version's own check of the station file; resolves with its problems (none: it passed). */
  selfCheck(releaseDir: string): Promise<string[]>;
  /** A health gate fed by the running station. */
  openGate(expectOnline: readonly string[]): HealthGate;
  /** Stop the station and exit for the launcher to start `current` (EXIT.RESTART). */
  requestRestart(reason: string): void;
  /** Where the unpack and the prune run; default a worker thread each (disk-work.ts), off the station's event loop. */
  diskWork?: DiskWork | undefined;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void };
}

interface ReportFacts {
  state: UpdateReportState;
  revision: number | null;
  version: string | null;
  rollout: string | null;
  code?: UpdateCode | undefined;
  problems?: readonly string[];
  progress?: { bytes: number; total: number };
}

/**
 * The station's side of a software update, from a message on `S/desired/version` to the retained
 * report on `S/update`: verify the document, wait out a swap or a water session, download the
 * bundle (resumable, capped), check its signature, unpack and check every file, run the new
 * version's self-check, put it on trial and restart into it. In the new version, at start: hold
 * the trial to the health gate and commit, or mark it failed for the launcher to roll back.
 * Every step can be cut by a kill -9: the retained document comes again at the next start and the
 * agent carries on where the files on disk say it was.
 */
export class UpdateAgent {
  private queue: Promise<unknown> = Promise.resolve();
  private lastHash: string | undefined;
  /** The newest document seen: a document still deferred or downloading gives way to a newer one. */
  private newestHash: string | undefined;
  private readonly abort = new AbortController();
  private lastReport: UpdateReport | undefined;
  private lastProgressAt = 0;
  private stopped = false;
  private readonly accepted: AcceptedDocument | undefined;
  private readonly disk: DiskWork;
  /**
   * Documents wait for resumeAtStart: a version on trial is decided (and a rollback reported)
   * before a document can start another install, which would find the trial still open, and
   * before a `committed` report of the start could land after that install's own reports.
   */
  private readonly resumed: Promise<void>;
  private markResumed: () => void = () => undefined;

  constructor(private readonly o: UpdateAgentOptions) {
    this.accepted = o.layout ? new AcceptedDocument(o.layout.downloadsDir()) : undefined;
    this.disk = o.diskWork ?? workerDiskWork();
    this.resumed = new Promise<void>((resolve) => (this.markResumed = resolve));
  }

  /** The report in force, for a bridge that (re)connects. */
  get report(): UpdateReport | undefined {
    return this.lastReport;
  }

  /** A message on `S/desired/version`; handled one at a time. */
  handleDesired(payload: Buffer): Promise<void> {
    let jws: string | undefined;
    try {
      jws = desiredDocument(payload);
    } catch (err) {
      if (!(err instanceof UpdateError)) throw err;
      this.publish({ state: 'rejected', revision: null, version: null, rollout: null, code: err.code, problems: err.problems });
      return Promise.resolve();
    }
    if (jws === undefined) return Promise.resolve();
    const hash = releaseDocumentHash(jws);
    this.newestHash = hash;
    const document = jws;
    const run = this.queue.then(() => this.resumed).then(() => this.handle(document, hash));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * At every start, once the station runs: a version on trial (this one) is held to the health
   * gate; a rollback the launcher made is reported; otherwise what runs is reported.
   */
  async resumeAtStart(): Promise<void> {
    try {
      await this.resume();
    } finally {
      this.markResumed();
    }
  }

  private async resume(): Promise<void> {
    const { layout, running } = this.o;
    const doc = this.accepted?.read();
    const facts = { revision: doc?.version === running ? doc.revision : null, version: running, rollout: doc?.version === running ? doc.rollout : null };
    if (!layout) {
      this.publish({ state: 'committed', ...facts, revision: null, rollout: null });
      return;
    }
    const state = layout.readState();
    if (state?.trial && state.trial.version === running && !state.trial.failed) {
      this.publish({ state: 'trial', ...facts });
      const outcome = await this.o.openGate(doc?.version === running ? doc.expectOnline : []).start();
      if (this.stopped) return;
      if (outcome.passed) {
        layout.commitTrial(this.o.clock.now());
        this.o.log.info({ version: running, afterMs: outcome.afterMs }, 'the new version passed its health gate and is committed');
        this.publish({ state: 'committed', ...facts });
        await this.pruneOld(layout);
      } else {
        const reason = outcome.problems.join('; ');
        layout.failTrial('UPDATE_GATE_FAILED', reason);
        this.o.log.error({ code: 'UPDATE_GATE_FAILED', version: running, problems: outcome.problems }, 'the new version failed its health gate; the launcher goes back to the previous one');
        this.publish({ state: 'trial', ...facts, code: 'UPDATE_GATE_FAILED', problems: outcome.problems });
        this.o.requestRestart('the new version failed its health gate');
      }
      return;
    }
    const rollback = state?.lastRollback;
    if (rollback && !rollback.reported) {
      const claimed = doc?.version === rollback.version ? doc : undefined;
      this.publish({
        state: 'rolled-back',
        revision: claimed?.revision ?? null,
        version: rollback.version,
        rollout: claimed?.rollout ?? null,
        code: rollback.code as UpdateCode,
        problems: [rollback.reason],
      });
      layout.markRollbackReported();
    } else {
      this.publish({ state: 'committed', ...facts });
    }
    await this.pruneOld(layout);
  }

  /**
   * Old releases and partial unpacks go after a commit, and at every start with nothing on trial:
   * a kill during the commit's prune, or one that left a partial unpack behind, or a rollback,
   * leaves them for the next start. Never while an unpack runs: documents wait for resumeAtStart.
   */
  private async pruneOld(layout: ReleaseLayout): Promise<void> {
    try {
      const pruned = await this.disk.prune(layout.root);
      if (pruned.length > 0) this.o.log.info({ pruned }, 'old releases removed');
    } catch (err) {
      // Left for the next prune: nothing of the running release depends on it.
      this.o.log.warn({ err: (err as Error).message }, 'old releases could not be removed');
    }
  }

  /** The station stops: a download in flight is cut (its part stays for the next start). */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async handle(jws: string, hash: string): Promise<void> {
    if (this.stopped || hash === this.lastHash) return;
    this.lastHash = hash;
    const { layout, running } = this.o;
    const claimed = claimedRelease(jws);
    if (!layout || !this.accepted) {
      this.publish({ state: 'rejected', ...claimed, code: 'UPDATE_NOT_MANAGED', problems: ['the gateway was not started by the launcher (no STATION_RELEASE_ROOT), so it cannot switch versions'] });
      return;
    }
    const before = this.accepted.read();
    const same = before?.hash === hash;
    const state = layout.readState();
    let release: VerifiedRelease;
    try {
      const last = state?.revision;
      // The document this station already took comes again after every restart: it carries on.
      release = await verifyReleaseDocument(jws, { stationId: this.o.stationId, keys: this.o.keys, lastRevision: same && last !== undefined ? last - 1 : last, arch: this.o.arch });
    } catch (err) {
      if (!(err instanceof UpdateError)) throw err;
      this.o.log.warn({ code: err.code, err: err.message }, 'a release document was refused');
      this.publish({ state: 'rejected', ...claimed, code: err.code, problems: err.problems });
      return;
    }
    const { payload } = release;
    const facts = { revision: payload.revision, version: payload.version, rollout: payload.rollout ?? null };
    if (same && state?.lastRollback?.version === payload.version) {
      // Tried and rolled back: the same document is not tried again; a new one (a new revision) is.
      this.publish({ state: 'rolled-back', ...facts, code: state.lastRollback.code as UpdateCode, problems: [state.lastRollback.reason] });
      return;
    }
    if (!same) {
      layout.noteRevision(payload.revision);
      this.accepted.write({ hash, revision: payload.revision, version: payload.version, rollout: payload.rollout ?? null, expectOnline: this.o.onlineDevices() });
    }
    if (payload.version === running) {
      // On trial, the gate decides what to report (resumeAtStart); otherwise this is done already.
      if (state?.trial?.version !== running) this.publish({ state: 'committed', ...facts });
      return;
    }
    try {
      await this.install(release, facts, hash);
    } catch (err) {
      if (this.stopped) return;
      const code: UpdateCode = err instanceof UpdateError || err instanceof BundleError ? err.code : 'UPDATE_INSTALL_FAILED';
      const message = err instanceof Error ? err.message : String(err);
      this.o.log.error({ code, err: message, version: payload.version }, 'the update was stopped; the station keeps its version');
      this.publish({ state: 'rejected', ...facts, code, problems: err instanceof UpdateError ? err.problems : [message] });
    }
  }

  private async install(release: VerifiedRelease, facts: Omit<ReportFacts, 'state'>, hash: string): Promise<void> {
    const layout = this.o.layout as ReleaseLayout;
    const { payload, bundle } = release;
    const version = payload.version;
    const dir = layout.releaseDir(version);
    if (!(await this.waitForQuiet(facts, hash))) return;

    if (!layout.hasRelease(version)) {
      const file = join(layout.downloadsDir(), bundleName(version, this.o.arch));
      this.publish({ state: 'downloading', ...facts, progress: { bytes: 0, total: bundle.bytes } });
      await downloadBundle({
        url: bundle.url,
        dest: file,
        expectedBytes: bundle.bytes,
        sha256: bundle.sha256,
        maxBytes: this.o.download.maxBytes,
        ca: this.o.download.ca,
        bytesPerSecond: this.o.download.bytesPerSecond,
        attempts: this.o.download.attempts,
        retryDelayMs: this.o.download.retryDelayMs,
        stallMs: this.o.download.stallMs,
        signal: this.abort.signal,
        onProgress: (bytes, total) => this.progress(facts, bytes, total),
      });
      if (this.stopped) return;
      this.publish({ state: 'verifying', ...facts });
      try {
        verifyBundleSignature(await readFile(file), bundle.signature, this.o.releaseKey);
      } catch (err) {
        rmSync(file, { force: true });
        throw err;
      }
      this.publish({ state: 'installing', ...facts });
      const manifest = await this.disk.unpack({ bundle: file, into: dir, partial: ownPartialDir(layout, version), requiredBytes: bundle.unpackedBytes, box: { arch: this.o.arch, nodeMajor: this.o.nodeMajor } });
      if (manifest.version !== version) throw new UpdateError('UPDATE_BAD_MANIFEST', `the bundle holds version ${manifest.version}, the document asks for ${version}`);
      rmSync(file, { force: true });
      if (this.stopped) return;
    } else {
      // Unpacked before a kill that came before its bundle was removed.
      rmSync(join(layout.downloadsDir(), bundleName(version, this.o.arch)), { force: true });
      this.publish({ state: 'installing', ...facts });
    }
    const problems = await this.o.selfCheck(dir);
    if (this.stopped) return;
    if (problems.length > 0) throw new UpdateError('UPDATE_SELF_CHECK_FAILED', `version ${version} refuses this station: ${problems[0]}`, problems);
    if (this.stopped || !(await this.waitForQuiet(facts, hash))) return;
    this.publish({ state: 'switching', ...facts });
    // The devices online now, after the station ran through the download and the unpack, are the
    // ones the new version must bring back: at the document's arrival (often right after a start)
    // some had not answered yet, and a version that never polls would pass a gate waiting for none.
    const accepted = this.accepted?.read();
    if (accepted?.hash === hash) this.accepted?.write({ ...accepted, expectOnline: this.o.onlineDevices() });
    layout.beginTrial({ version, trialSeconds: this.o.gateSeconds + TRIAL_START_MARGIN_SECONDS, now: this.o.clock.now() });
    this.o.log.info({ from: this.o.running, to: version }, 'switched to the new version; restarting into it on trial');
    this.o.requestRestart(`switching to version ${version}`);
  }

  /**
   * Waits while a swap or a water session is in progress (a restart would cut it short), reporting
   * `deferred`. False when a newer document arrived meanwhile, or the station stops: that one goes on.
   */
  private async waitForQuiet(facts: Omit<ReportFacts, 'state'>, hash: string): Promise<boolean> {
    let reported = '';
    for (;;) {
      if (this.stopped || this.newestHash !== hash) return false;
      const sessions = this.o.activeSessions();
      if (sessions.length === 0) return true;
      const text = sessions.join('; ');
      if (text !== reported) {
        this.publish({ state: 'deferred', ...facts, code: 'UPDATE_BUSY', problems: sessions.map((s) => `waiting for ${s} to end`) });
        reported = text;
      }
      await new Promise<void>((resolve) => this.o.clock.after(DEFER_POLL_MS, resolve));
    }
  }

  private progress(facts: Omit<ReportFacts, 'state'>, bytes: number, total: number): void {
    const now = this.o.clock.now();
    if (now - this.lastProgressAt < PROGRESS_EVERY_MS && bytes < total) return;
    this.lastProgressAt = now;
    this.publish({ state: 'downloading', ...facts, progress: { bytes, total } });
  }

  private publish(r: ReportFacts): void {
    const cut = (p: string): string => (p.length > MAX_PROBLEM_CHARS ? `${p.slice(0, MAX_PROBLEM_CHARS - 1)}…` : p);
    const report: UpdateReport = {
      revision: r.revision,
      version: r.version,
      running: this.o.running,
      state: r.state,
      ...(r.code !== undefined ? { code: r.code } : {}),
      problems: (r.problems ?? []).slice(0, MAX_PROBLEMS).map(cut),
      ...(r.progress ? { progress: r.progress } : {}),
      rollout: r.rollout,
      ts: new Date(this.o.clock.now()).toISOString(),
    };
    this.lastReport = report;
    this.o.publish(report);
  }
}

/**
 * This process's own partial folder for `version`. tar is a child process: a kill -9 of the
 * gateway leaves it running, still writing into the partial folder it was given, and the next
 * process's unpack into the same folder would race it (a removal that fails with ENOTEMPTY, or
 * files of two extractions mixed). The leftover, named like the layout's partial folders, goes
 * with the next prune.
 */
export function ownPartialDir(layout: ReleaseLayout, version: string): string {
  return `${layout.partialDir(version).slice(0, -'.partial'.length)}.${process.pid}.partial`;
}
