import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudBridge } from '../cloud-bridge/cloud-bridge.js';
import { DESIRED_VERSION_SUFFIX, FINAL_UPDATE_STATES, UPDATE_REPORT_SUFFIX, updateReportSchema, type UpdateReport, type UpdateReportState } from '../cloud-bridge/update-contract.js';
import { systemClock, type Clock } from '../config/clock.js';
import { replaceFileAtomically } from '../config/durable-write.js';
import type { ReleaseArch } from '../config/release-manifest.js';
import type { TrustedKeys } from '../config/trusted-keys.js';
import { UpdateError } from '../gateway/update/update-error.js';
import { claimedRelease, desiredDocument, releaseDocumentHash, verifyReleaseDocument } from '../gateway/update/verify-release-document.js';
import { mulberry32 } from '../simulators/modbus/seeded-random.js';

export interface FleetUpdates {
  /** The fleet configuration key's public half: release documents are signed with it, as configuration is. */
  keys: TrustedKeys;
  /** Each simulated station keeps where its update stands in `<stateDir>/update/<station>.json`. */
  stateDir: string;
  /** The box's architecture: the document must name a bundle for it. */
  arch: ReleaseArch;
  /** The pause between two steps of an update (download slices, verify, install, switch, trial). */
  stepMs: number;
}

export interface SimulatedUpdateAgentOptions extends FleetUpdates {
  stationId: string;
  /** The version the station runs when it has no state of its own yet. */
  runningVersion: string;
  /** A station planned to fail: its new version never passes the trial, and it rolls back. */
  failsUpdate: boolean;
  clock?: Clock;
}

/** Whether a station of this seed fails its update at `percent` (0..100): the same fleet fails the same stations. */
export function plannedToFailUpdate(seed: number, percent: number): boolean {
  return mulberry32(seed ^ 0x2545f491)() * 100 < percent;
}

interface Taken {
  hash: string;
  revision: number;
  version: string;
  rollout: string | null;
  bytes: number;
}

interface State {
  running: string;
  lastRevision?: number | undefined;
  taken?: Taken | undefined;
  report?: UpdateReport | undefined;
}

/** The download is reported in this many slices: what a crew sees the bar do, not the bytes. */
const DOWNLOAD_SLICES = 4;
const TRIAL_STEPS = 2;

/**
 * A simulated station's side of a software update: the document verified as the gateway verifies
 * it (verifyReleaseDocument: real keys, real signature, this station, a newer revision, a bundle
 * for its architecture), then the states a real update passes reported retained on `S/update`,
 * with a pause between each. It downloads nothing (two thousand stations fetching an 18 MB bundle
 * would measure the file server, not the rollout) and installs nothing; a station planned to
 * fail rolls back at the end of its trial with UPDATE_GATE_FAILED, as a gateway whose devices
 * never come online under the new version would. Where it stands is kept on disk, so a simulator
 * restarted mid-update carries on and one restarted after a commit runs the new version.
 */
export class SimulatedUpdateAgent {
  private detach: Array<() => void> = [];
  private state: State | undefined;
  private bridge: CloudBridge | undefined;
  /** Bumped by each document taken: the steps of the one before stop. */
  private generation = 0;
  private cancelStep: (() => void) | undefined;
  private lastRefused: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: Clock;

  /** This station's pace, 0.5..1.5 of `stepMs` from its id: links and boxes differ, so a ring's outcomes spread out. */
  private readonly stepMs: number;

  constructor(private readonly options: SimulatedUpdateAgentOptions) {
    this.clock = options.clock ?? systemClock;
    this.stepMs = Math.round(options.stepMs * (0.5 + mulberry32(idHash(options.stationId))()));
  }

  private get file(): string {
    return join(this.options.stateDir, 'update', `${this.options.stationId}.json`);
  }

  get running(): string {
    return this.state?.running ?? this.options.runningVersion;
  }

  attach(bridge: CloudBridge): void {
    this.bridge = bridge;
    mkdirSync(join(this.options.stateDir, 'update'), { recursive: true });
    this.state = this.load();
    // As the gateway's agent reports a start with no update under way: what runs, committed.
    const report = this.state.report ?? this.makeReport('committed', { revision: null, version: this.running, rollout: null });
    this.publish(report);
    // Stopped mid-update: the document is retained and will come again, but it is taken already.
    this.detach.push(bridge.follow(DESIRED_VERSION_SUFFIX, (m) => void this.handleDesired(m.payload).catch(() => undefined)));
  }

  stop(): void {
    this.generation++;
    this.cancelStep?.();
    for (const off of this.detach.splice(0)) off();
  }

  /** One document at a time, in the order they came, as the gateway's agent takes them. */
  handleDesired(payload: Buffer): Promise<void> {
    const run = this.queue.then(() => this.handle(payload));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async handle(payload: Buffer): Promise<void> {
    const state = this.state;
    if (!state) return;
    let jws: string | undefined;
    try {
      jws = desiredDocument(payload);
    } catch (err) {
      if (err instanceof UpdateError) this.refuse(err, { revision: null, version: null, rollout: null });
      return;
    }
    if (jws === undefined) return;
    const hash = releaseDocumentHash(jws);
    if (hash === state.taken?.hash) {
      // The same retained document again (a reconnect, a restart): carry on if it was not finished.
      if (!(state.report?.revision === state.taken.revision && isFinal(state.report.state)) && this.cancelStep === undefined) this.run(state.taken);
      return;
    }
    if (hash === this.lastRefused) return;
    let verified;
    try {
      verified = await verifyReleaseDocument(jws, { stationId: this.options.stationId, keys: this.options.keys, lastRevision: state.lastRevision, arch: this.options.arch });
    } catch (err) {
      if (!(err instanceof UpdateError)) throw err;
      this.lastRefused = hash;
      this.refuse(err, claimedRelease(jws));
      return;
    }
    const { payload: doc, bundle } = verified;
    const taken: Taken = { hash, revision: doc.revision, version: doc.version, rollout: doc.rollout ?? null, bytes: bundle.bytes };
    this.state = { ...state, lastRevision: doc.revision, taken };
    this.run(taken);
  }

  private run(taken: Taken): void {
    const generation = ++this.generation;
    this.cancelStep?.();
    this.cancelStep = undefined;
    const about = { revision: taken.revision, version: taken.version, rollout: taken.rollout };
    if (taken.version === this.running) {
      this.finish(this.makeReport('committed', about));
      return;
    }
    const steps: Array<() => UpdateReport> = [];
    for (let i = 0; i <= DOWNLOAD_SLICES; i++) {
      const bytes = Math.round((taken.bytes * i) / DOWNLOAD_SLICES);
      steps.push(() => this.makeReport('downloading', about, { progress: { bytes, total: taken.bytes } }));
    }
    for (const s of ['verifying', 'installing', 'switching'] as const) steps.push(() => this.makeReport(s, about));
    for (let i = 0; i < TRIAL_STEPS; i++) steps.push(() => this.makeReport('trial', about));
    const next = (i: number): void => {
      if (generation !== this.generation) return;
      if (i < steps.length) {
        this.publish((steps[i] as () => UpdateReport)());
        this.cancelStep = this.clock.after(this.stepMs, () => next(i + 1));
        return;
      }
      this.cancelStep = undefined;
      if (this.options.failsUpdate) {
        this.finish(
          this.makeReport('rolled-back', about, {
            code: 'UPDATE_GATE_FAILED',
            problems: [`${taken.version} did not pass its health gate on trial (a simulated station planned to fail); back on ${this.running}`],
          }),
        );
      } else {
        this.finish(this.makeReport('committed', about), taken.version);
      }
    };
    // Persisted before the first report: a restart now carries on with this document.
    this.persist();
    next(0);
  }

  private finish(report: UpdateReport, running?: string): void {
    if (!this.state) return;
    if (running !== undefined) {
      this.state.running = running;
      report = { ...report, running };
    }
    this.state.report = report;
    this.persist();
    this.publish(report);
  }

  private refuse(err: UpdateError, claimed: { revision: number | null; version: string | null; rollout: string | null }): void {
    this.publish(this.makeReport('rejected', claimed, { code: err.code, problems: err.problems }));
  }

  private makeReport(state: UpdateReportState, about: { revision: number | null; version: string | null; rollout: string | null }, extra: Partial<UpdateReport> = {}): UpdateReport {
    return { revision: about.revision, version: about.version, running: this.running, state, problems: [], rollout: about.rollout, ...extra, ts: new Date(this.clock.now()).toISOString() };
  }

  private publish(report: UpdateReport): void {
    if (this.state && isFinal(report.state)) this.state.report = report;
    this.bridge?.report(UPDATE_REPORT_SUFFIX, report);
  }

  private persist(): void {
    if (this.state) replaceFileAtomically(this.file, `${JSON.stringify(this.state)}\n`);
  }

  private load(): State {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return { running: this.options.runningVersion };
    }
    const s = raw as Partial<State>;
    if (typeof s.running !== 'string') return { running: this.options.runningVersion };
    const report = updateReportSchema.safeParse(s.report);
    return { running: s.running, lastRevision: typeof s.lastRevision === 'number' ? s.lastRevision : undefined, taken: s.taken, report: report.success ? report.data : undefined };
  }
}

const isFinal = (state: UpdateReportState): boolean => FINAL_UPDATE_STATES.includes(state);

function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
