import type { Logger } from 'pino';
import type { StationConfig } from '../../../config/station-schema.js';
import type { Part } from '../../lifecycle/part.js';
import { StoreUpkeep } from '../../station/store-upkeep.js';
import type { RecordsPart } from './records-part.js';
import type { StoragePart } from './storage-part.js';

export interface UpkeepPartOptions {
  storage: StoragePart;
  records: RecordsPart;
  storageConfig: StationConfig['storage'];
  intervalMs: number;
  log: Logger;
}

/** Retention, the disk budget and held writes, on a timer; its first round once the station runs. */
export class UpkeepPart implements Part {
  readonly name = 'upkeep';
  readonly needs = ['store', 'records'];
  /** What it records goes out before the bridge stops: the bridge outlives it. */
  readonly after = ['bridge'];
  private upkeep: StoreUpkeep | undefined;

  constructor(private readonly options: UpkeepPartOptions) {}

  async start(): Promise<void> {
    const { storage, records, storageConfig, intervalMs, log } = this.options;
    this.upkeep = new StoreUpkeep(storage.store, records.alarms, { retainDays: storageConfig.retainDays, maxBytes: storageConfig.maxMegabytes * 1024 * 1024 }, log.child({ part: 'store' }), intervalMs);
  }

  /** After gateway.started: a first round's alarm is an event of this boot, not before it. */
  async run(): Promise<void> {
    this.upkeep?.start();
  }

  async stop(): Promise<void> {
    this.upkeep?.stop();
  }
}
