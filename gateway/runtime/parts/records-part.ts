import type { Logger } from 'pino';
import type { Part } from '../../lifecycle/part.js';
import { EventRecorder } from '../../station/event-recorder.js';
import { StationAlarms } from '../../station/station-alarms.js';
import { StoreHealth } from '../../station/store-health.js';
import type { StoragePart } from './storage-part.js';
import { started } from './started.js';

export interface RecordsPartOptions {
  storage: StoragePart;
  version: string;
  bootId: string;
  /** Marks gateway.started as the fleet simulator's, not a station's. */
  simulated?: boolean | undefined;
  log: Logger;
}

/**
 * What the station writes down: its alarms and its usage log (the event recorder, which holds
 * events in memory while the disk is full), with the store's own alarms. Running, it says the
 * gateway started: the first event of every boot.
 */
export class RecordsPart implements Part {
  readonly name = 'records';
  readonly needs = ['store'];
  private currentAlarms: StationAlarms | undefined;
  private currentRecorder: EventRecorder | undefined;

  constructor(private readonly options: RecordsPartOptions) {}

  get alarms(): StationAlarms {
    return started(this.currentAlarms, this.name, 'the alarms');
  }

  get recorder(): EventRecorder {
    return started(this.currentRecorder, this.name, 'the event recorder');
  }

  async start(): Promise<void> {
    const { storage, log } = this.options;
    const store = storage.store;
    const storeLog = log.child({ part: 'store' });
    const alarms = new StationAlarms(store.alarms, store.outbox, log.child({ part: 'alarms' }));
    const health = new StoreHealth(store, alarms, storeLog);
    this.currentAlarms = alarms;
    this.currentRecorder = new EventRecorder(store.outbox, storeLog, (full) => health.diskFull(full));
    health.reportOpening();
  }

  async run(): Promise<void> {
    const { storage, version, bootId, simulated } = this.options;
    this.recorder.record({ type: 'gateway.started', data: { version, bootId, bootCount: storage.store.nextBootCount(), ...(simulated ? { simulated: true } : {}) } });
  }

  async stop(): Promise<void> {
    this.currentRecorder?.stop();
  }
}
