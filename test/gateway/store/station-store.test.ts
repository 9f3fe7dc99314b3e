import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { StoreClosedError } from '../../../gateway/store/store-errors.js';
import { useTempStores } from './temp-store.js';

const stores = useTempStores();
const startStore = stores.start;
const restart = stores.restart;

describe('usage sessions derived from events', () => {
  it('pairs starts and ends by key, in the same transaction as the events', () => {
    let store = startStore();
    const { outbox } = store;
    outbox.append({ type: 'swap.started', device: 'cabinet-1', data: { swapId: 'a', sub: 'w-17', slot: 3 }, ts: new Date('2026-11-28T02:00:00Z') });
    outbox.append({ type: 'swap.started', device: 'cabinet-1', data: { swapId: 'b', sub: 'w-18', slot: 5 }, ts: new Date('2026-11-28T02:00:10Z') });
    outbox.append({ type: 'swap.completed', device: 'cabinet-1', data: { swapId: 'a', takenSlot: 6 }, ts: new Date('2026-11-28T02:01:00Z') });
    outbox.append({ type: 'swap.aborted', device: 'cabinet-1', data: { swapId: 'b', reason: 'timeout' }, ts: new Date('2026-11-28T02:03:00Z') });
    outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 1 }, ts: new Date('2026-11-28T02:04:00Z') });
    outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 2 }, ts: new Date('2026-11-28T02:04:01Z') });
    outbox.append({ type: 'door.closed', device: 'lock-1', data: { door: 1 }, ts: new Date('2026-11-28T02:04:09Z') });
    outbox.append({ type: 'water.dispensed', device: 'water-1', data: { litres: 0.5, sub: 'w-17', startedAt: '2026-11-28T02:05:00.000Z' }, ts: new Date('2026-11-28T02:05:30Z') });
    outbox.append({ type: 'occupancy.session', device: 'occ-1', data: { enteredAt: '2026-11-28T01:00:00.000Z', leftAt: '2026-11-28T02:30:00.000Z' }, ts: new Date('2026-11-28T02:30:00Z') });
    outbox.append({ type: 'access.denied', device: 'lock-1', data: { res: 'main-door', code: 'EXPIRED' }, ts: new Date('2026-11-28T02:31:00Z') });
    outbox.append({ type: 'device.online', device: 'lock-1', data: {} });

    store = restart(store);
    const all = store.sessions.list();
    expect(all.map((s) => [s.kind, s.device, s.startedAt, s.endedAt ?? null, s.outcome ?? null])).toEqual([
      ['occupancy', 'occ-1', '2026-11-28T01:00:00.000Z', '2026-11-28T02:30:00.000Z', 'left'],
      ['swap', 'cabinet-1', '2026-11-28T02:00:00.000Z', '2026-11-28T02:01:00.000Z', 'completed'],
      ['swap', 'cabinet-1', '2026-11-28T02:00:10.000Z', '2026-11-28T02:03:00.000Z', 'timeout'],
      ['door', 'lock-1', '2026-11-28T02:04:00.000Z', '2026-11-28T02:04:09.000Z', 'closed'],
      ['door', 'lock-1', '2026-11-28T02:04:01.000Z', null, null],
      ['water', 'water-1', '2026-11-28T02:05:00.000Z', '2026-11-28T02:05:30.000Z', 'dispensed'],
      ['access', 'lock-1', '2026-11-28T02:31:00.000Z', '2026-11-28T02:31:00.000Z', 'EXPIRED'],
    ]);
    const swapA = all.find((s) => s.kind === 'swap' && s.data['swapId'] === 'a');
    expect(swapA?.subject).toBe('w-17');
    expect(swapA?.data).toEqual({ swapId: 'a', sub: 'w-17', slot: 3, takenSlot: 6 });
    expect(store.sessions.list({ kind: 'swap', since: new Date('2026-11-28T02:00:05Z') })).toHaveLength(1);
  });

  it('closes a session whose end was lost as unknown when the next one starts on its key', () => {
    const store = startStore();
    store.outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 1 }, ts: new Date('2026-11-28T02:00:00Z') });
    store.outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 1 }, ts: new Date('2026-11-28T03:00:00Z') });
    expect(store.sessions.list().map((s) => s.outcome ?? 'open')).toEqual(['unknown', 'open']);
  });
});

describe('replay cache', () => {
  it('claims a jti once, returns the first result to a repeat, survives a restart, and forgets after exp + skew', () => {
    let store = startStore();
    const forget = new Date('2026-11-28T02:06:00Z');
    expect(store.replayCache.claim('jti-1', forget, new Date('2026-11-28T02:00:00Z'))).toEqual({ first: true });
    store.replayCache.settle('jti-1', { door: 'main-door', openedFor: 5 });
    store.replayCache.settle('jti-1', { overwritten: true });
    expect(store.replayCache.claim('jti-2', forget)).toEqual({ first: true });

    store = restart(store);
    expect(store.replayCache.claim('jti-1', forget)).toEqual({ first: false, seenAt: '2026-11-28T02:00:00.000Z', result: { door: 'main-door', openedFor: 5 } });
    // Claimed but never settled (cut short by a crash): still refused, with no result to repeat.
    const cut = store.replayCache.claim('jti-2', forget);
    expect(cut.first).toBe(false);
    expect('result' in cut).toBe(false);

    expect(store.replayCache.purgeExpired(new Date('2026-11-28T02:05:59Z'))).toBe(0);
    expect(store.replayCache.purgeExpired(new Date('2026-11-28T02:06:01Z'))).toBe(2);
    expect(store.replayCache.has('jti-1')).toBe(false);
  });
});

describe('time floor', () => {
  it('only moves forward, and is kept across a restart', () => {
    let store = startStore();
    expect(store.timeFloor.get()).toBeUndefined();
    expect(store.timeFloor.raise(new Date('2026-11-28T02:00:00Z'), 'token')).toBe(true);
    expect(store.timeFloor.raise(new Date('2026-11-27T02:00:00Z'), 'broker')).toBe(false);
    expect(store.timeFloor.raise(new Date('invalid'), 'broker')).toBe(false);
    store = restart(store);
    expect(store.timeFloor.get()).toEqual({ at: new Date('2026-11-28T02:00:00Z'), source: 'token' });
  });
});

describe('active alarms', () => {
  it('survive a restart without being raised again, and log raise and clear as events', () => {
    let store = startStore();
    let alarms = new StationAlarms(store.alarms, store.outbox, silentLogger());
    const seen: number[] = [];
    alarms.on('changed', (list) => seen.push(list.length));
    alarms.raise({ alarm: 'water.leak', severity: 'critical', device: 'water-1', detail: { sensor: 'floor' } });
    alarms.raise({ alarm: 'water.leak', severity: 'critical', device: 'water-1' }); // repeated: nothing
    alarms.raise({ alarm: 'tank.low', severity: 'warning', device: 'water-1' });
    alarms.raise({ alarm: 'store.budget', severity: 'major' });
    alarms.clear('tank.low', 'water-1');
    alarms.clear('tank.low', 'water-1'); // not active: nothing
    expect(seen).toEqual([1, 2, 3, 2]);

    store = restart(store);
    alarms = new StationAlarms(store.alarms, store.outbox, silentLogger());
    expect(alarms.active().map((a) => [a.alarm, a.severity, a.device ?? null])).toEqual([
      ['water.leak', 'critical', 'water-1'],
      ['store.budget', 'major', null],
    ]);
    expect(alarms.active()[0]?.detail).toEqual({ sensor: 'floor' });
    const logged = store.outbox.pending(100).map((e) => `${e.type}:${String(e.data['alarm'])}`);
    expect(logged).toEqual(['alarm.raised:water.leak', 'alarm.raised:tank.low', 'alarm.raised:store.budget', 'alarm.cleared:tank.low']);
  });
});

describe('life cycle', () => {
  it('refuses use before start and after stop with a typed error', () => {
    const store = new StationStore(stores.path, silentLogger());
    expect(() => store.outbox).toThrow(StoreClosedError);
    store.start();
    store.stop();
    expect(() => store.outbox).toThrow(StoreClosedError);
  });
});
