import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

export interface TempStores {
  /** The database file of the current test. */
  readonly path: string;
  start(now?: () => Date): StationStore;
  /** Stops `store` and opens the same file again, as a restarted gateway does. */
  restart(store: StationStore): StationStore;
}

/** A database file per test on disk, and the stores opened on it, closed and removed after the test. */
export function useTempStores(): TempStores {
  let dir: ReturnType<typeof tempDir>;
  let path = '';
  const open: StationStore[] = [];
  beforeEach(() => {
    dir = tempDir();
    path = join(dir.path, 'gateway.db');
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.stop();
    dir.remove();
  });
  const start = (now?: () => Date): StationStore => {
    const store = new StationStore(path, silentLogger(), now);
    store.start();
    open.push(store);
    return store;
  };
  return {
    get path() {
      return path;
    },
    start,
    restart(store) {
      store.stop();
      open.splice(open.indexOf(store), 1);
      return start();
    },
  };
}
