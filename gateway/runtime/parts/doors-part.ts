import type { Logger } from 'pino';
import type { Clock } from '../../../config/clock.js';
import type { LoadedStation } from '../../../config/load-station-config.js';
import type { DoorSupervisor } from '../../access/door-supervisor.js';
import type { Part } from '../../lifecycle/part.js';
import { Subscriptions } from '../../lifecycle/subscriptions.js';
import { doorSupervisorFor } from '../access-wiring.js';
import type { DevicesPart } from './devices-part.js';
import type { RecordsPart } from './records-part.js';
import { started } from './started.js';

export interface DoorsPartOptions {
  station: LoadedStation;
  devices: DevicesPart;
  records: RecordsPart;
  log: Logger;
  clock?: Clock | undefined;
}

/**
 * Door supervision: what each door does against what the station allowed (`door.forced`,
 * `door.held`). Access and the fire response tell it what they open; it hears every door contact.
 */
export class DoorsPart implements Part {
  readonly name = 'doors';
  readonly needs = ['devices', 'records'];
  /** What it records goes out before the bridge stops: the bridge outlives it. */
  readonly after = ['bridge'];
  private current: DoorSupervisor | undefined;
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly options: DoorsPartOptions) {}

  get supervisor(): DoorSupervisor {
    return started(this.current, this.name, 'the door supervisor');
  }

  async start(): Promise<void> {
    const { station, devices, records, log, clock } = this.options;
    const supervisor = doorSupervisorFor(station, records.recorder, records.alarms, log, clock);
    this.current = supervisor;
    for (const m of devices.monitors) {
      // A scan is a credential for the access logic, not a door's doing.
      this.subscriptions.on(m, 'event', (e) => {
        if (e.type !== 'scan') supervisor.deviceEvent(m.id, e);
      });
    }
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    this.current?.stop();
  }
}
