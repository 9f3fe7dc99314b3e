import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { CabinetSafety, SAFETY_UNPROVEN_ALARM } from '../../../gateway/station/cabinet-safety.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { useTempStores } from '../store/temp-store.js';
import { FakeCabinet, FakeClock, cabinetReading, type SlotSpec } from './station-fakes.js';

/*
 * Latched battery safety across a restart of the gateway (the same database opened again) and
 * across the loss of the database (deleted under a stopped gateway, its anchor kept): a restart
 * is never a release, and a lost record holds every slot until a reading proves it safe.
 */

const stores = useTempStores();
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const HOLD_MS = 5000;

function safetyOn(store: StationStore, recordLost?: string) {
  const clock = new FakeClock();
  const cabinet = new FakeCabinet();
  const alarms = new StationAlarms(store.alarms, store.outbox, silentLogger());
  const safety = new CabinetSafety({
    device: 'cabinet-1',
    cabinet,
    alarms,
    settings: store.settings,
    log: silentLogger(),
    clock,
    smokeClearMs: HOLD_MS,
    recordLost,
  });
  safety.start();
  const names = (): string[] => alarms.active().map((a) => a.alarm).sort();
  return { clock, cabinet, safety, names };
}

function loseDatabase(store: StationStore): StationStore {
  store.stop();
  for (const suffix of ['', '-wal', '-shm']) rmSync(stores.path + suffix, { force: true });
  return stores.start();
}

const ready: SlotSpec = { state: 'ready', soc: 100, batteryTemp: 30 };
const at = (batteryTemp: number, overTemperature = false): SlotSpec => ({ state: overTemperature ? 'fault' : 'ready', soc: 100, batteryTemp, overTemperature });

describe('CabinetSafety across a restart', () => {
  it('keeps a slot cut at 62 °C cut and locked out after a restart at 55 °C, until it reads below 45 °C', async () => {
    const store = stores.start();
    const first = safetyOn(store);
    first.safety.update(cabinetReading([ready, at(62, true)]));
    await flush();
    expect(first.names()).toEqual(['slot.overheat.2']);

    // The cabinet's own bit cleared while the gateway was down (a cabinet restart, a BMS that does not latch).
    const again = safetyOn(stores.restart(store));
    again.safety.update(cabinetReading([ready, at(55)]));
    await flush();
    expect(again.names()).toEqual(['slot.overheat.2']);
    expect(again.safety.lockedOut(1)).toBe(true);
    expect(again.safety.readyBatteries()).toEqual({ '48V': 1 });
    // The cut is written again (the cabinet may have turned charging back on), never released.
    expect(again.cabinet.of('setCharging')).toEqual([[false, 1]]);

    again.safety.update(cabinetReading([ready, at(44.5)]));
    await flush();
    expect(again.names()).toEqual([]);
    expect(again.safety.lockedOut(1)).toBe(false);
    expect(again.cabinet.of('setCharging')).toEqual([[false, 1], [true, 1]]);
  });

  it('runs the whole smoke hold again after a restart within it', async () => {
    const store = stores.start();
    const first = safetyOn(store);
    first.safety.update(cabinetReading([ready, ready], true));
    first.safety.update(cabinetReading([ready, ready], false));
    first.clock.advance(HOLD_MS - 1000);
    first.safety.update(cabinetReading([ready, ready], false));
    expect(first.names()).toEqual(['cabinet.smoke']);

    const again = safetyOn(stores.restart(store));
    again.safety.update(cabinetReading([ready, ready], false));
    await flush();
    expect(again.safety.smokeActive()).toBe(true);
    expect(again.safety.readyBatteries()).toEqual({});
    expect(again.cabinet.of('setCharging').sort()).toEqual([[false, 0], [false, 1]]);
    again.clock.advance(HOLD_MS - 1);
    again.safety.update(cabinetReading([ready, ready], false));
    expect(again.names()).toEqual(['cabinet.smoke']);
    again.clock.advance(1);
    again.safety.update(cabinetReading([ready, ready], false));
    await flush();
    expect(again.names()).toEqual([]);
    expect(again.cabinet.of('setCharging').filter(([v]) => v === true).sort()).toEqual([[true, 0], [true, 1]]);
  });

  it('holds every slot after a lost database until a reading proves it safe, and alarms why', async () => {
    const store = stores.start();
    const first = safetyOn(store);
    first.safety.update(cabinetReading([ready, at(62, true), ready, { state: 'empty' }]));
    await flush();

    const lostStore = loseDatabase(store);
    expect(lostStore.lost?.reason).toBe('missing');
    const again = safetyOn(lostStore, lostStore.lost?.reason);
    expect(again.names()).toEqual([SAFETY_UNPROVEN_ALARM]);
    // A reading without its slots proves nothing.
    again.safety.update(cabinetReading([]));
    expect(again.names()).toEqual([SAFETY_UNPROVEN_ALARM]);
    // Between 45 and 60 °C proves nothing either way; below 45 °C with the bit clear, or empty, is safe.
    again.safety.update(cabinetReading([at(46), at(55), at(30), { state: 'empty' }]));
    await flush();
    expect([0, 1, 2, 3].map((i) => again.safety.lockedOut(i))).toEqual([true, true, false, false]);
    expect(again.safety.readyBatteries()).toEqual({ '48V': 1 });
    expect(again.names()).toEqual([SAFETY_UNPROVEN_ALARM]);
    // Held slots cut; those the first reading proved safe charge at once.
    expect(again.cabinet.of('setCharging').sort()).toEqual([[false, 0], [false, 1], [true, 2], [true, 3]]);

    // A restart before every slot is proven: still held, the alarm still up.
    const third = safetyOn(stores.restart(lostStore));
    third.safety.update(cabinetReading([at(30), at(55), at(30), { state: 'empty' }]));
    await flush();
    expect([0, 1, 2, 3].map((i) => third.safety.lockedOut(i))).toEqual([false, true, false, false]);
    expect(third.names()).toEqual([SAFETY_UNPROVEN_ALARM]);

    // Proven hot: an overheating slot like any other, and the fail-safe is over.
    third.safety.update(cabinetReading([at(30), at(61, true), at(30), { state: 'empty' }]));
    await flush();
    expect(third.names()).toEqual(['slot.overheat.2']);
    third.safety.update(cabinetReading([at(30), at(40), at(30), { state: 'empty' }]));
    await flush();
    expect(third.names()).toEqual([]);
    expect(third.safety.readyBatteries()).toEqual({ '48V': 3 });
  });

  it("keeps an operator's out-of-service slot through a restart and a lost database", () => {
    const store = stores.start();
    const first = safetyOn(store);
    first.safety.update(cabinetReading([ready, ready]));
    first.safety.setSlotEnabled(2, false);

    const restarted = stores.restart(store);
    expect(safetyOn(restarted).safety.disabledSlots()).toEqual([2]);

    const lostStore = loseDatabase(restarted);
    const third = safetyOn(lostStore, lostStore.lost?.reason);
    expect(third.safety.disabledSlots()).toEqual([2]);
    third.safety.update(cabinetReading([ready, ready]));
    expect(third.safety.lockedOut(1)).toBe(true);
    expect(third.safety.readyBatteries()).toEqual({ '48V': 1 });
  });
});
