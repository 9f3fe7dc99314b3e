import type { Logger } from 'pino';
import type { CloudBridge } from '../../cloud-bridge/cloud-bridge.js';
import type { LoadedStation } from '../../config/load-station-config.js';
import type { StationConfig } from '../../config/station-schema.js';
import type { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import type { ReloadPlan } from '../ops/config-reload.js';
import type { PreparedReload } from '../ops/station-ops.js';
import { composeStation, type ComposedStation, type StationSeams } from './compose-station.js';

export interface StationRuntimeOptions extends Omit<StationSeams, 'log' | 'version'> {
  station: LoadedStation;
  log: Logger;
  version: string;
}

/**
 * A whole station, as `station-gateway run` starts it: every part the composition root
 * (compose-station.ts) assembles, started in the order their needs give and stopped in reverse.
 */
export class StationRuntime {
  private readonly composed: ComposedStation;
  private stopping: Promise<void> | undefined;
  private file: string;
  private config: StationConfig;

  constructor(private readonly options: StationRuntimeOptions) {
    const { station, ...seams } = options;
    this.composed = composeStation(station, seams);
    this.file = station.file;
    this.config = station.config;
  }

  get bootId(): string {
    return this.composed.bootId;
  }

  /** The cloud bridge, for the parts that outlive one runtime (remote configuration). */
  get bridge(): CloudBridge {
    return this.composed.bridge.bridge;
  }

  get monitors(): readonly DeviceMonitor[] {
    return this.composed.devices.monitors;
  }

  get stationConfig(): StationConfig {
    return this.config;
  }

  /** The station file in force: SIGHUP reads it again. */
  get stationFile(): string {
    return this.file;
  }

  /** After a revision was applied live: its file is the one in force now. */
  useStationFile(file: string): void {
    this.file = file;
  }

  /** The swaps and water sessions in progress: what a restart now would cut short. */
  activeSessions(): string[] {
    return this.composed.logic.logic.activeSessions();
  }

  /** One write to the store read back; throws when it takes none (a health gate's check). */
  probeStoreWrite(): void {
    this.composed.storage.store.probeWrite();
  }

  async start(): Promise<void> {
    const { station, log } = this.options;
    await this.composed.parts.start();
    log.info({ station: station.config.station.id, devices: this.composed.devices.monitors.length, bootId: this.bootId }, 'station running');
  }

  /** SIGHUP: applies a reloaded station file where that is safe while running (gateway/ops/config-reload.ts). */
  async reload(next: LoadedStation): Promise<ReloadPlan | undefined> {
    const { log } = this.options;
    let keys: PreparedReload | undefined;
    try {
      // Read and checked before anything is applied: a reload is all or nothing.
      keys = await this.composed.access.prepareKeys(next.config.access?.trustedKeys);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.error({ code: 'RELOAD_REFUSED', problems: err.problems.map(formatProblem) }, 'reload refused: the trusted keys file does not validate; nothing was changed, the keys in use stay');
      return undefined;
    }
    const plan = await this.composed.ops.reload(next.config, log, keys);
    if (plan && plan.restartKeys.length === 0) this.config = next.config;
    return plan;
  }

  /** Safe to call twice (a second signal waits for the first stop). */
  stop(): Promise<void> {
    this.stopping ??= this.composed.parts.stop().then(() => this.options.log.info('station stopped'));
    return this.stopping;
  }
}
