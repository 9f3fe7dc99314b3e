import { silentLogger } from '../../../gateway/runtime/logger.js';
import { EventRecorder } from '../../../gateway/station/event-recorder.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import type { StationEvent } from '../../../cloud-bridge/outbox-port.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { waitFor } from '../../helpers/wait-for.js';
import { useTempStores } from '../store/temp-store.js';

export interface StationParts {
  store: StationStore;
  alarms: StationAlarms;
  recorder: EventRecorder;
  /** Events written so far, optionally of one type. */
  events(type?: string): StationEvent[];
  /** The first event of `type`, once one is written. */
  nextEvent(type: string, timeoutMs?: number): Promise<StationEvent>;
}

/** The real store, alarms and recorder on a temporary database, as the runtime builds them. */
export function useStationParts(): { open(): StationParts; restart(parts: StationParts): StationParts } {
  const stores = useTempStores();
  const build = (store: StationStore): StationParts => {
    const log = silentLogger();
    const alarms = new StationAlarms(store.alarms, store.outbox, log);
    const recorder = new EventRecorder(store.outbox, log);
    const events = (type?: string): StationEvent[] => store.outbox.pending(10_000).filter((e) => type === undefined || e.type === type);
    return { store, alarms, recorder, events, nextEvent: (type, timeoutMs = 5000) => waitFor(() => events(type)[0], timeoutMs, type) };
  };
  return {
    open: () => build(stores.start()),
    restart: (parts) => {
      parts.recorder.stop();
      return build(stores.restart(parts.store));
    },
  };
}
