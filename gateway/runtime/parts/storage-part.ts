import type { Logger } from 'pino';
import type { Part } from '../../lifecycle/part.js';
import { StationStore } from '../../store/station-store.js';
import { GatewayPidFile } from '../gateway-pid-file.js';
import { started } from './started.js';

export interface StoragePartOptions {
  /** The database file; `:memory:` for a station with nothing to survive (the fleet simulator). */
  path: string;
  bootId: string;
  log: Logger;
}

/** The station's SQLite store, and beside it the pid file by which doctor sees a running gateway. */
export class StoragePart implements Part {
  readonly name = 'store';
  private current: StationStore | undefined;
  private pidFile: GatewayPidFile | undefined;

  constructor(private readonly options: StoragePartOptions) {}

  /** The database file (`:memory:` for none), beside which other parts keep their files. */
  get path(): string {
    return this.options.path;
  }

  get store(): StationStore {
    return started(this.current, this.name, 'the store');
  }

  async start(): Promise<void> {
    const { path, bootId, log } = this.options;
    const store = new StationStore(path, log);
    store.start();
    this.current = store;
    if (path === ':memory:') return;
    // Next to the database, once its directory exists: doctor reads it to leave a running gateway alone.
    this.pidFile = new GatewayPidFile(path, bootId, log);
    this.pidFile.start();
  }

  async stop(): Promise<void> {
    this.current?.stop();
    this.pidFile?.stop();
  }
}
