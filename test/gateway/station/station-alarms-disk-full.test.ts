import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import type { ActiveAlarm } from '../../../cloud-bridge/contract-schemas.js';
import type { AlarmTable } from '../../../gateway/store/alarm-table.js';
import type { EventOutbox } from '../../../gateway/store/event-outbox.js';
import { StoreFullError } from '../../../gateway/store/store-errors.js';

/*
 * Found by test/chaos/disk-full.test.ts: a door forced open while the disk was full threw
 * SQLITE_FULL out of StationAlarms.raise (into the door supervisor), and the critical alarm was
 * never published. It is now published from memory, and clears.
 */

// What the real AlarmTable and EventOutbox throw on SQLITE_FULL.
const diskFull = (): never => {
  throw new StoreFullError('the database could not be written: database or disk is full');
};

function fullStore() {
  const rows = new Map<string, ActiveAlarm>();
  let full = true;
  const key = (alarm: string, device?: string): string => `${alarm}|${device ?? ''}`;
  const table = {
    get: (alarm: string, device?: string) => rows.get(key(alarm, device)),
    put: (a: ActiveAlarm) => (full ? diskFull() : void rows.set(key(a.alarm, a.device), a)),
    delete: (alarm: string, device?: string) => (full ? diskFull() : void rows.delete(key(alarm, device))),
    all: () => [...rows.values()],
  } as unknown as AlarmTable;
  const events: string[] = [];
  const outbox = { append: (e: { type: string }) => (full ? diskFull() : events.push(e.type)) } as unknown as EventOutbox;
  return { table, outbox, events, makeRoom: () => (full = false), fill: () => (full = true), stored: () => [...rows.keys()] };
}

describe('StationAlarms with a full disk', () => {
  it('publishes an alarm it cannot store, clears it, and stores the next one once there is room', () => {
    const store = fullStore();
    const alarms = new StationAlarms(store.table, store.outbox, silentLogger());
    const published: string[][] = [];
    alarms.on('changed', (list) => published.push(list.map((a) => `${a.alarm}@${a.device ?? ''}`)));

    alarms.raise({ alarm: 'door.forced', severity: 'critical', device: 'lock-1', detail: { door: 1 } });
    alarms.raise({ alarm: 'door.forced', severity: 'critical', device: 'lock-1', detail: { door: 1 } });
    expect(published).toEqual([['door.forced@lock-1']]);
    alarms.clear('door.forced', 'lock-1');
    expect(published.at(-1)).toEqual([]);

    store.makeRoom();
    alarms.raise({ alarm: 'door.forced', severity: 'critical', device: 'lock-1' });
    alarms.clear('door.forced', 'lock-1');
    expect(store.events).toEqual(['alarm.raised', 'alarm.cleared']);
    expect(alarms.active()).toEqual([]);
  });

  it('takes a stored alarm off the list when it clears on a full disk, and deletes it once there is room', () => {
    const store = fullStore();
    store.makeRoom();
    const alarms = new StationAlarms(store.table, store.outbox, silentLogger());
    alarms.raise({ alarm: 'door.held', severity: 'major', device: 'lock-1' });
    store.fill();
    alarms.raiseVolatile({ alarm: 'store.disk-full', severity: 'critical' });
    alarms.clear('door.held', 'lock-1');
    expect(alarms.active().map((a) => a.alarm)).toEqual(['store.disk-full']);
    expect(store.stored()).toHaveLength(1);

    store.makeRoom();
    alarms.clearVolatile('store.disk-full');
    expect(alarms.active()).toEqual([]);
    expect(store.stored()).toEqual([]);
    expect(store.events).toEqual(['alarm.raised', 'alarm.cleared']);
  });
});
