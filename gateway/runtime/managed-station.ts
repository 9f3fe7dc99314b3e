import type { Logger } from 'pino';
import type { ConfigReport } from '../../cloud-bridge/remote-config-contract.js';
import { systemClock, type Clock } from '../../config/clock.js';
import { loadStation, loadStationConfig, type LoadOptions, type LoadedStation } from '../../config/load-station-config.js';
import type { StationConfig } from '../../config/station-schema.js';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import type { ReloadPlan } from '../ops/config-reload.js';
import { planReload } from '../ops/config-reload.js';
import { HealthGate } from '../remote-config/health-gate.js';
import type { AcceptedRevision, RemoteConfigAgent } from '../remote-config/remote-config-agent.js';
import { StationRuntime } from './station-runtime.js';
import type { UpdateAgent } from '../update/update-agent.js';
import { DESIRED_VERSION_SUFFIX, UPDATE_REPORT_SUFFIX } from '../../cloud-bridge/update-contract.js';

/** Where remote configuration reads and reports, under `S/`. */
const DESIRED = 'desired/config';
const REPORTED = 'config';

export interface ManagedStationOptions {
  /** The station file on the box (`--config`): it alone says whether and how the fleet configures it. */
  onSiteFile: string;
  overrides: LoadOptions;
  log: Logger;
  version: string;
  clock?: Clock | undefined;
  /** Where the update agent finds the launcher's release layout (STATION_RELEASE_ROOT); process.env by default. */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * The update agent switched `current` (or a version on trial failed its gate): stop and exit
   * for the launcher to start the release `current` names. Without it, nothing restarts.
   */
  onRestartRequest?: ((reason: string) => void) | undefined;
}

/**
 * The station as `station-gateway run` keeps it: a StationRuntime on the file in force, and, when
 * the on-site file has a `remoteConfig` section, the fleet's configuration applied to it. A pushed
 * revision that reload can take is applied live; one that needs a restart is applied by stopping
 * this runtime and starting the next one in the same process (a second or two without polling;
 * access decisions need no cloud). A revision on trial is held to the health gate and rolled back
 * to the last good one when it fails, with no person involved.
 */
export class ManagedStation {
  private runtime: StationRuntime | undefined;
  private agent: RemoteConfigAgent | undefined;
  private updates: UpdateAgent | undefined;
  private readonly gates = new Set<HealthGate>();
  private detach: Array<() => void> = [];
  private reportNow: ConfigReport | undefined;
  private readonly clock: Clock;
  /** Restarts and reloads one at a time, and never under a stop. */
  private switching: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ManagedStationOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get current(): StationRuntime | undefined {
    return this.runtime;
  }

  /** The file whose station runs now (a revision's, or the on-site one). */
  get file(): string | undefined {
    return this.runtime?.stationFile;
  }

  /** Throws ConfigError for an on-site file or a configuration-key file that does not validate. */
  async start(): Promise<void> {
    const { onSiteFile, overrides, log } = this.options;
    const onSite = loadStationConfig(onSiteFile, overrides).config;
    const remote = onSite.remoteConfig;
    let file = onSiteFile;
    // The fleet's configuration and software updates are imported only for a station file that
    // has them: most stations run without, and their code (revision store, release documents,
    // bundle verification) would stay resident for nothing (docs/benchmarks.md, memory).
    if (remote) {
      const [{ RevisionStore }, { RemoteConfigAgent }] = await Promise.all([import('../remote-config/revision-store.js'), import('../remote-config/remote-config-agent.js')]);
      const store = new RevisionStore(remote.stateDir);
      const agent = new RemoteConfigAgent({
        stationId: onSite.station.id,
        store,
        configKeys: await loadTrustedKeys(remote.keys),
        clock: this.clock,
        gateSeconds: remote.gateSeconds,
        onSiteFile,
        publish: (report) => this.publish(report),
        onlineDevices: () => (this.runtime?.monitors ?? []).filter((m) => m.state().online).map((m) => m.id),
        runningDevices: () => (this.runtime?.stationConfig.devices ?? []).map((d) => d.id),
        apply: (revision) => this.apply(revision),
        openGate: (expectOnline) => this.openGate(expectOnline, remote.gateSeconds),
        revert: (next) => this.switchTo(next),
      });
      this.agent = agent;
      // A revision still on trial from before the restart goes on being held to its gate.
      const { gate } = await agent.resumeAtStart();
      gate?.catch((err: unknown) => log.error({ err }, 'the health gate of a revision on trial failed to decide'));
      const resolved = store.resolve(onSiteFile);
      if (resolved.source === 'on-site' && resolved.damaged) log.error({ code: resolved.damaged.code, err: resolved.damaged.message }, 'the revision store is damaged; running the on-site station file');
      file = resolved.file;
      if (resolved.source === 'revision') log.info({ revision: resolved.revision, state: resolved.state, file }, 'running a revision the fleet pushed');
    }
    if (onSite.update) {
      const { createUpdateAgent } = await import('./update-wiring.js');
      this.updates = await createUpdateAgent({
        config: onSite.update,
        stationId: onSite.station.id,
        version: this.options.version,
        clock: this.clock,
        log,
        env: this.options.env ?? process.env,
        publish: (report) => this.runtime?.bridge.report(UPDATE_REPORT_SUFFIX, report),
        activeSessions: () => this.runtime?.activeSessions() ?? [],
        onlineDevices: () => (this.runtime?.monitors ?? []).filter((m) => m.state().online).map((m) => m.id),
        stationFile: () => this.file ?? onSiteFile,
        openGate: (expectOnline, gateSeconds) => this.openGate(expectOnline, gateSeconds),
        requestRestart: (reason) => this.requestRestart(reason),
      });
    }
    await this.startRuntime(await loadStation(file, overrides));
    this.reportNow ??= this.agent?.currentReport();
    if (this.reportNow) this.runtime?.bridge.report(REPORTED, this.reportNow);
    // A version on trial is held to its gate from here, with the station running.
    this.updates?.resumeAtStart().catch((err: unknown) => log.error({ err }, 'the update agent failed at start'));
  }

  private requestRestart(reason: string): void {
    const { log, onRestartRequest } = this.options;
    if (!onRestartRequest) {
      log.warn({ reason }, 'the update agent asks for a restart, and nothing here restarts the gateway');
      return;
    }
    log.info({ reason }, 'restarting for the launcher');
    onRestartRequest(reason);
  }

  /** SIGHUP: the file in force read again and applied where reload allows. */
  async reload(next: LoadedStation): Promise<ReloadPlan | undefined> {
    return this.runtime?.reload(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.updates?.stop();
    await this.switching.catch(() => undefined);
    for (const gate of this.gates) gate.cancel();
    await this.stopRuntime();
  }

  private async startRuntime(station: LoadedStation): Promise<void> {
    const { log, version } = this.options;
    const runtime = new StationRuntime({ station, log, version, clock: this.options.clock });
    try {
      await runtime.start();
    } catch (err) {
      await runtime.stop().catch(() => undefined);
      throw err;
    }
    this.runtime = runtime;
    const agent = this.agent;
    if (agent) {
      this.detach.push(runtime.bridge.follow(DESIRED, (m) => void agent.handleDesired(m.payload).catch((err: unknown) => log.error({ err }, 'a pushed configuration could not be handled'))));
      if (this.reportNow) runtime.bridge.report(REPORTED, this.reportNow);
    }
    const updates = this.updates;
    if (updates) {
      this.detach.push(runtime.bridge.follow(DESIRED_VERSION_SUFFIX, (m) => void updates.handleDesired(m.payload).catch((err: unknown) => log.error({ err }, 'a release document could not be handled'))));
      if (updates.report) runtime.bridge.report(UPDATE_REPORT_SUFFIX, updates.report);
    }
    for (const gate of this.gates) this.feed(gate, runtime);
  }

  private async stopRuntime(): Promise<void> {
    for (const off of this.detach.splice(0)) off();
    const runtime = this.runtime;
    this.runtime = undefined;
    await runtime?.stop();
  }

  private publish(report: ConfigReport): void {
    this.reportNow = report;
    this.runtime?.bridge.report(REPORTED, report);
  }

  /** Live where the reload plan allows it, else the next runtime in this process. */
  private async apply(revision: AcceptedRevision): Promise<'live'> {
    await this.switchTo(revision.station.file);
    return 'live';
  }

  private switchTo(file: string): Promise<void> {
    const run = this.switching.then(async () => {
      if (this.stopped) return;
      const next = await loadStation(file, this.options.overrides);
      const current = this.runtime?.stationConfig;
      if (current && this.reloadable(current, next.config)) {
        this.options.log.info({ file }, 'applying a configuration live');
        await this.runtime?.reload(next);
        this.runtime?.useStationFile(file);
        return;
      }
      this.options.log.info({ file }, 'applying a configuration by restarting the station in this process');
      await this.stopRuntime();
      await this.startRuntime(next);
    });
    this.switching = run.catch(() => undefined);
    return run;
  }

  private reloadable(current: StationConfig, next: StationConfig): boolean {
    return planReload(current, next).restartKeys.length === 0;
  }

  private openGate(expectOnline: readonly string[], gateSeconds: number): HealthGate {
    const gate = new HealthGate({ clock: this.clock, gateSeconds, expectOnline, probeStore: () => this.probeStore() });
    this.gates.add(gate);
    // The gate starts right after this returns; it hears the runtime running now, and the next.
    queueMicrotask(() => {
      if (this.runtime) this.feed(gate, this.runtime);
    });
    return gate;
  }

  private feed(gate: HealthGate, runtime: StationRuntime): void {
    if (gate.current === 'passed' || gate.current === 'failed' || gate.current === 'cancelled') {
      this.gates.delete(gate);
      return;
    }
    const offs: Array<() => void> = [runtime.bridge.onConnection((up) => gate.brokerConnected(up))];
    gate.brokerConnected(runtime.bridge.connected);
    for (const m of runtime.monitors) {
      gate.deviceOnline(m.id, m.state().online);
      const online = (): void => gate.deviceOnline(m.id, true);
      const offline = (): void => gate.deviceOnline(m.id, false);
      m.on('online', online);
      m.on('offline', offline);
      offs.push(() => {
        m.off('online', online);
        m.off('offline', offline);
      });
    }
    // Off when the gate decides, or with the runtime, whichever is first.
    const off = (): void => {
      for (const undo of offs.splice(0)) undo();
    };
    this.detach.push(off);
    gate.onSettled(() => {
      off();
      this.gates.delete(gate);
    });
  }

  /** One real write to the running station's store, read back. */
  private async probeStore(): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) throw new Error('the station is not running');
    runtime.probeStoreWrite();
  }
}
