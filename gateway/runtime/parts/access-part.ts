import type { Logger } from 'pino';
import type { Clock } from '../../../config/clock.js';
import type { LoadedStation } from '../../../config/load-station-config.js';
import type { AccessCounts } from '../../access/access-service.js';
import type { Part } from '../../lifecycle/part.js';
import { Subscriptions } from '../../lifecycle/subscriptions.js';
import type { PreparedReload } from '../../ops/station-ops.js';
import { wireAccess, type AccessWiring } from '../access-wiring.js';
import { REVOCATIONS_FLEET_TOPIC } from '../../../cloud-bridge/revocation-contract.js';
import type { BridgePart } from './bridge-part.js';
import type { DevicesPart } from './devices-part.js';
import type { DoorsPart } from './doors-part.js';
import type { RecordsPart } from './records-part.js';
import type { StationLogicPart } from './station-logic-part.js';
import type { StoragePart } from './storage-part.js';

export interface AccessPartOptions {
  station: LoadedStation;
  storage: StoragePart;
  records: RecordsPart;
  devices: DevicesPart;
  doors: DoorsPart;
  logic: StationLogicPart;
  bridge: BridgePart;
  clockTickMs: number;
  clock?: Clock | undefined;
  log: Logger;
}

/**
 * Who may open what: tokens verified against the trusted keys (read at start), clock trust and
 * the time floor, replay, rate limits, the fleet's revocation list (kept on disk, followed on
 * `<prefix>/_fleet/revocations`), and the doors, swaps and water they open. It carries out
 * the cloud's unlock, swap, dispense and slot commands and the station scanner's scans.
 */
export class AccessPart implements Part {
  readonly name = 'access';
  readonly needs = ['store', 'records', 'devices', 'doors', 'station-logic', 'bridge'];
  readonly after = ['ops'];
  private current: AccessWiring | undefined;
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly options: AccessPartOptions) {}

  async start(): Promise<void> {
    const { station, storage, records, devices, doors, logic, bridge, clockTickMs, clock, log } = this.options;
    const wiring = await wireAccess({
      storagePath: storage.path,
      followRevocations: (listener) => bridge.bridge.followFleet(REVOCATIONS_FLEET_TOPIC, (m) => listener(m.payload)),
      onRevocations: (status) => bridge.bridge.setRevocations(status),
      station,
      monitors: devices.monitors,
      store: storage.store,
      recorder: records.recorder,
      alarms: records.alarms,
      supervisor: doors.supervisor,
      effects: logic.logic.effects,
      peopleInside: () => logic.logic.peopleInside(),
      closedForSafety: () => logic.logic.closedForSafety(),
      outOfService: (resource) => logic.logic.outOfService(resource),
      log,
      clockTickMs,
      clock,
    });
    this.current = wiring;
    for (const m of devices.monitors) {
      this.subscriptions.on(m, 'event', (e) => {
        if (e.type === 'scan') wiring.scanned(m.id, e.data.text);
      });
    }
    wiring.start();
    bridge.serveCommands(wiring.commands);
  }

  /** Junk and rate-limit counts for metrics (none before the part starts). */
  counts(): AccessCounts {
    return this.current?.counts?.() ?? { junk: [], limited: [] };
  }

  async prepareKeys(file: string | undefined): Promise<PreparedReload | undefined> {
    return this.current?.prepareKeys(file);
  }

  async stop(): Promise<void> {
    this.options.bridge.serveCommands(undefined);
    this.subscriptions.clear();
    this.current?.stop();
  }
}
