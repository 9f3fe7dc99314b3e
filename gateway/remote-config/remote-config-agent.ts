import type { Clock } from '../../config/clock.js';
import type { TrustedKeys } from '../../config/trusted-keys.js';
import { desiredConfigSchema, type ConfigReport, type ConfigReportState, type DriftEntry } from '../../cloud-bridge/remote-config-contract.js';
import { detectDrift, runningFileDrift } from './drift.js';
import { HealthGate, type GateOutcome } from './health-gate.js';
import { RemoteConfigError } from './remote-config-error.js';
import { hashFile, type RevisionStore, type StorePointer } from './revision-store.js';
import { stageAndValidate, type ValidatedRevision } from './validate-revision.js';
import { claimedRevision, documentHash, verifyConfigDocument } from './verify-config-document.js';

/*
 * The report must fit the 64 KiB packet the station's connection allows, whatever a pushed file
 * holds: a file with a thousand problems reports the first ones and how many more.
 */
const MAX_REPORTED_PROBLEMS = 50;
const MAX_PROBLEM_CHARS = 400;
const MAX_REPORTED_DRIFT = 20;

function boundedProblems(problems: readonly string[]): string[] {
  const cut = (p: string): string => (p.length > MAX_PROBLEM_CHARS ? `${p.slice(0, MAX_PROBLEM_CHARS - 1)}…` : p);
  if (problems.length <= MAX_REPORTED_PROBLEMS) return problems.map(cut);
  return [...problems.slice(0, MAX_REPORTED_PROBLEMS - 1).map(cut), `... and ${problems.length - MAX_REPORTED_PROBLEMS + 1} more problems (station-gateway validate on the station lists them all)`];
}

interface ReportFacts {
  revision: number | null;
  documentHash: string | null;
  state: ConfigReportState;
  code?: string;
  problems: string[];
  /** The pointer in force after a rollback (null: the on-site file); read from the store when absent. */
  runningPointer?: StorePointer | null;
}

/** How many starts a revision on trial gets before it is rolled back unseen (Mender's boot counter). */
export const MAX_TRIAL_BOOTS = 2;

export type AcceptedRevision = Extract<ValidatedRevision, { ok: true }>;

export interface RemoteConfigAgentOptions {
  stationId: string;
  store: RevisionStore;
  /** The configuration keys (the station's configuration-key file, never the access-token keys). */
  configKeys: TrustedKeys;
  clock: Clock;
  gateSeconds: number;
  /** The on-site station file (`--config`), recorded for drift when the store first takes over. */
  onSiteFile: string;
  publish(report: ConfigReport): void | Promise<void>;
  /** The devices online now, before an apply: the gate waits for them again. */
  onlineDevices(): string[];
  /** The devices the running station has: one a revision adds is new, and the gate waits for it too. */
  runningDevices(): string[];
  /**
   * Puts the accepted revision in force, now on trial in the store. `live`: the running station
   * runs it now (reload); `restart`: the process restarts into it (the store resolves to it), and
   * the next start's `resumeAtStart` runs the gate.
   */
  apply(revision: AcceptedRevision): Promise<'live' | 'restart'>;
  /** Builds the gate for the running station and feeds it; the agent starts it and acts on its outcome. */
  openGate(expectOnline: readonly string[]): HealthGate;
  /** Puts the last good revision (or the on-site file) back in force after a rollback: reload or restart. */
  revert(file: string): Promise<void>;
}

/**
 * The station's side of remote configuration, from a message on `S/desired/config` to the
 * retained report on `S/config`: verify, refuse over drift, validate in a fresh revision folder,
 * apply on trial, hold to the health gate, commit or roll back. One document at a time; a
 * document that arrives while another is applied or on trial waits for it.
 */
export class RemoteConfigAgent {
  private busy: Promise<unknown> = Promise.resolve();
  /** The last document handled, by hash: a retained one comes again after every reconnect. */
  private lastHandled: string | undefined;

  constructor(private readonly options: RemoteConfigAgentOptions) {}

  /** A message on `S/desired/config`. Resolves with the report it published, if any. */
  handleDesired(payload: Buffer): Promise<ConfigReport | undefined> {
    const run = this.busy.then(() => this.handle(payload));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * At every start, before the station runs: a revision on trial counts a boot; after too many it
   * is rolled back before it can fail again. Returns the gate to start once the station runs, if
   * the revision is still on trial.
   */
  async resumeAtStart(): Promise<{ gate: Promise<GateOutcome> | undefined }> {
    const { store } = this.options;
    store.cleanUp();
    const pointer = store.read();
    if (!pointer || pointer.state !== 'trial' || !pointer.trial) return { gate: undefined };
    const boots = store.noteTrialBoot();
    if (boots > MAX_TRIAL_BOOTS) {
      await this.rollBack(pointer, [`the gateway started ${boots} times in revision ${pointer.current.revision} without passing its health gate`]);
      return { gate: undefined };
    }
    return { gate: this.runGate(pointer, pointer.trial.expectOnline) };
  }

  private async handle(payload: Buffer): Promise<ConfigReport | undefined> {
    const { store } = this.options;
    if (payload.length === 0) return undefined;
    let jws: string;
    try {
      const parsed = desiredConfigSchema.safeParse(JSON.parse(payload.toString('utf8')));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
      jws = parsed.data.document;
    } catch (err) {
      const hash = documentHash(payload.toString('utf8'));
      return this.report({ revision: null, documentHash: hash, state: 'rejected', code: 'CONFIG_DOCUMENT_MALFORMED', problems: [`S/desired/config is not {"document": "<compact JWS>"}: ${(err as Error).message}`] });
    }
    const hash = documentHash(jws);
    if (hash === this.lastHandled) return undefined;
    this.lastHandled = hash;

    const pointer = this.readPointer();
    const running = pointer?.current.revision;
    if (pointer?.current.documentHash === hash) return undefined;
    try {
      const document = await verifyConfigDocument(jws, { stationId: this.options.stationId, keys: this.options.configKeys, currentRevision: running });
      const drift = runningFileDrift(store, pointer);
      if (drift.length > 0 && !document.payload.replaceDrift) {
        throw new RemoteConfigError(
          'CONFIG_DRIFT',
          'the running station file was changed on site',
          drift.map((d) => `${d.file} was changed on site since revision ${running} was applied; push with --replace-drift to replace it`),
        );
      }
      const validated = await stageAndValidate(document, store, this.options.stationId);
      if (!validated.ok) return this.report({ revision: document.payload.revision, documentHash: hash, state: 'rejected', code: validated.code, problems: validated.problems });

      const config = validated.station.config;
      const names = new Set(config.devices.map((d) => d.id));
      // What answered before must answer again, and what the revision adds must answer at all: a
      // device that never does is a revision that does not work. One that was silent before and
      // stays is not this revision's fault.
      const online = new Set(this.options.onlineDevices());
      const present = new Set(this.options.runningDevices());
      const expectOnline = [...names].filter((id) => online.has(id) || !present.has(id));
      await this.report({ revision: document.payload.revision, documentHash: hash, state: 'applying', problems: validated.notices });
      const onSiteHash = hashFile(this.options.onSiteFile);
      const trial = store.beginTrial(validated.staged, {
        deadline: new Date(this.options.clock.now() + this.options.gateSeconds * 1000).toISOString(),
        expectOnline,
        onSite: { file: this.options.onSiteFile, sha256: onSiteHash },
      });
      const how = await this.options.apply(validated);
      if (how === 'restart') return undefined;
      return await this.runGate(trial, expectOnline).then(() => this.lastReport);
    } catch (err) {
      if (!(err instanceof RemoteConfigError)) throw err;
      return this.report({ revision: claimedRevision(jws) ?? null, documentHash: hash, state: 'rejected', code: err.code, problems: err.problems });
    }
  }

  private lastReport: ConfigReport | undefined;

  private async runGate(trial: StorePointer, expectOnline: readonly string[]): Promise<GateOutcome> {
    const outcome = await this.options.openGate(expectOnline).start();
    if (outcome.passed) {
      this.options.store.commit();
      await this.report({ revision: trial.current.revision, documentHash: trial.current.documentHash, state: 'applied', problems: [] });
    } else {
      await this.rollBack(trial, outcome.problems);
    }
    return outcome;
  }

  private async rollBack(trial: StorePointer, problems: string[]): Promise<void> {
    const { store } = this.options;
    const now = store.rollback();
    await this.options.revert(store.resolve(this.options.onSiteFile).file);
    await this.report({ revision: trial.current.revision, documentHash: trial.current.documentHash, state: 'rolled-back', code: 'CONFIG_GATE_FAILED', problems, runningPointer: now ?? null });
  }

  private readPointer(): StorePointer | undefined {
    try {
      return this.options.store.read();
    } catch (err) {
      if (err instanceof RemoteConfigError) return undefined;
      throw err;
    }
  }

  /** The report of what runs now, with no apply in question (at start, after a reconnect). */
  currentReport(): ConfigReport {
    const pointer = this.readPointer();
    return this.build({ revision: pointer?.current.revision ?? null, documentHash: pointer?.current.documentHash ?? null, state: pointer?.state === 'trial' ? 'applying' : 'applied', problems: [] });
  }

  private build(r: ReportFacts): ConfigReport {
    const pointer = r.runningPointer === undefined ? this.readPointer() : (r.runningPointer ?? undefined);
    const drift: DriftEntry[] = detectDrift(this.options.store, pointer);
    return {
      revision: r.revision,
      documentHash: r.documentHash,
      state: r.state,
      running: pointer?.current.revision ?? null,
      ...(r.code !== undefined ? { code: r.code } : {}),
      problems: boundedProblems(r.problems),
      drift: drift.slice(0, MAX_REPORTED_DRIFT),
      ts: new Date(this.options.clock.now()).toISOString(),
    };
  }

  private async report(r: ReportFacts): Promise<ConfigReport> {
    const report = this.build(r);
    this.lastReport = report;
    await this.options.publish(report);
    return report;
  }
}
