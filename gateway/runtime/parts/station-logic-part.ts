import type { Logger } from 'pino';
import type { Clock } from '../../../config/clock.js';
import type { LoadedStation } from '../../../config/load-station-config.js';
import type { Part } from '../../lifecycle/part.js';
import { wireStationLogic, type StationLogicWiring } from '../station-logic-wiring.js';
import type { BridgePart } from './bridge-part.js';
import type { DevicesPart } from './devices-part.js';
import type { DoorsPart } from './doors-part.js';
import type { RecordsPart } from './records-part.js';
import type { StoragePart } from './storage-part.js';
import { started } from './started.js';

export interface StationLogicPartOptions {
  station: LoadedStation;
  storage: StoragePart;
  records: RecordsPart;
  devices: DevicesPart;
  doors: DoorsPart;
  bridge: BridgePart;
  smokeClearMs: number;
  clock?: Clock | undefined;
  log: Logger;
}

/**
 * Battery safety and swaps per cabinet, water per dispenser, occupancy, smoke and the fire
 * response, and the station's availability, which it publishes through the bridge.
 */
export class StationLogicPart implements Part {
  readonly name = 'station-logic';
  readonly needs = ['store', 'records', 'devices', 'doors', 'bridge'];
  /** Ops counts every event of this boot: a safety latch restored at start is one. */
  readonly after = ['ops'];
  private current: StationLogicWiring | undefined;

  constructor(private readonly options: StationLogicPartOptions) {}

  get logic(): StationLogicWiring {
    return started(this.current, this.name, 'the station logic');
  }

  async start(): Promise<void> {
    const { station, storage, records, devices, doors, bridge, smokeClearMs, clock, log } = this.options;
    const supervisor = doors.supervisor;
    const cloud = bridge.bridge;
    this.current = wireStationLogic({
      station,
      monitors: devices.monitors,
      store: storage.store,
      recorder: records.recorder,
      alarms: records.alarms,
      publishAvailability: (a) => cloud.setAvailability(a),
      smokeClearMs,
      allowDoorOpen: (device, door, ms) => supervisor.unlocked(device, door, ms),
      clock,
      log,
    });
    this.current.start();
  }

  async stop(): Promise<void> {
    this.current?.stop();
  }
}
