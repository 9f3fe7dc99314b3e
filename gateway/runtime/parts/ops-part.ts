import type { Logger } from 'pino';
import type { StationConfig } from '../../../config/station-schema.js';
import type { AccessCounts } from '../../access/access-service.js';
import type { Part } from '../../lifecycle/part.js';
import { buildStationView } from '../../ops/build-station-view.js';
import type { ReloadPlan } from '../../ops/config-reload.js';
import { StationOps, type PreparedReload } from '../../ops/station-ops.js';
import type { BridgePart } from './bridge-part.js';
import type { DevicesPart } from './devices-part.js';
import type { RecordsPart } from './records-part.js';
import type { StoragePart } from './storage-part.js';

export interface OpsPartOptions {
  config: StationConfig;
  storage: StoragePart;
  records: RecordsPart;
  devices: DevicesPart;
  bridge: BridgePart;
  /** The access logic's counts, when the station has an `access` section. */
  accessCounts?: (() => AccessCounts) | undefined;
  /** Where $NOTIFY_SOCKET and $WATCHDOG_USEC come from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  certificateDaysLeft?: (() => number | undefined) | undefined;
  log: Logger;
}

/** Liveness, the systemd watchdog, metrics and the status page; READY=1 once the devices are open. */
export class OpsPart implements Part {
  readonly name = 'ops';
  readonly needs = ['store', 'records', 'devices', 'bridge'];
  private ops: StationOps | undefined;

  constructor(private readonly options: OpsPartOptions) {}

  async start(): Promise<void> {
    const { config, storage, records, devices, bridge, accessCounts, env, certificateDaysLeft, log } = this.options;
    const cloud = bridge.bridge;
    this.ops = new StationOps({
      config,
      log: log.child({ part: 'ops' }),
      view: buildStationView({ config, monitors: devices.monitors, outbox: storage.store.outbox, alarms: records.alarms, bridge: cloud }),
      accessCounts,
      env,
      certificateDaysLeft,
      inboundCounts: () => cloud.inboundCounts(),
    });
    await this.ops.start();
  }

  /** Last: the watchdog's READY=1 describes a station that runs. */
  async run(): Promise<void> {
    await this.options.devices.opened();
    this.ops?.ready();
  }

  reload(next: StationConfig, rootLog: Logger, keys: PreparedReload | undefined): Promise<ReloadPlan> | undefined {
    return this.ops?.reload(next, rootLog, keys);
  }

  /** The watchdog and the local servers go first: a stopping station is not ready. */
  async halt(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    const ops = this.ops;
    this.ops = undefined;
    await ops?.stop();
  }
}
