import { describe, expect, it } from 'vitest';
import { AccessDenied } from '../../../gateway/access/access-error.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { BatterySwap } from '../../../gateway/station/battery-swap.js';
import { CabinetSafety } from '../../../gateway/station/cabinet-safety.js';
import { FakeCabinet, FakeClock, offlineCabinet, type SlotSpec } from './station-fakes.js';
import { useStationParts } from './station-harness.js';

const parts = useStationParts();
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const LIMITS = { doorOpenMs: 3000, insertMs: 60_000, takeMs: 60_000 };

/**
 * A cabinet of 6 slots (index: 0 empty, 1 ready 48 V 90 %, 2 ready 48 V 100 %, 3 ready 60 V 100 %,
 * 4 ready 48 V 100 % with a charger fault, 5 empty), the swap on it, and `feed` for a reading.
 */
function setup(slots: SlotSpec[] = defaultSlots(), device = 'cabinet-1') {
  const p = parts.open();
  const clock = new FakeClock();
  const cabinet = new FakeCabinet(slots);
  const log = silentLogger();
  // Setups in one test share its database: another device id keeps their alarms and settings apart.
  const safety = new CabinetSafety({ device, cabinet, alarms: p.alarms, settings: p.store.settings, log, clock });
  const swap = new BatterySwap({ device, cabinet, safety, outbox: p.store.outbox, recorder: p.recorder, log, clock, limits: LIMITS });
  safety.start();
  swap.start();
  const feed = (): void => safety.update(cabinet.read());
  feed();
  return { p, clock, cabinet, safety, swap, slots, feed };
}

function defaultSlots(): SlotSpec[] {
  return [
    { state: 'empty' },
    { state: 'ready', soc: 90, batteryId: 11 },
    { state: 'ready', soc: 100, batteryId: 12 },
    { state: 'ready', soc: 100, batteryId: 13, packType: 60 },
    { state: 'ready', soc: 100, batteryId: 14, chargerFault: true },
    { state: 'empty' },
  ];
}

const rider = { state: 'charging' as const, soc: 12, batteryId: 77, packType: 48 };

describe('BatterySwap', () => {
  it('swaps: opens an empty slot, takes the battery, hands out the fullest usable one of its pack type', async () => {
    const { p, cabinet, swap, slots, feed } = setup();
    await expect(swap.begin({ swapId: 'sw-1', sub: 'rider-7' })).resolves.toEqual({ swapId: 'sw-1', slot: 1 });
    expect(cabinet.of('openSlotDoor')).toEqual([0]);
    expect(p.events('swap.started')).toMatchObject([{ device: 'cabinet-1', data: { swapId: 'sw-1', sub: 'rider-7', emptySlot: 1 } }]);

    slots[0] = { state: 'empty', door: 'open' };
    feed();
    slots[0] = { ...rider, door: 'open' };
    feed();
    // Door still open: nothing offered yet.
    expect(cabinet.of('openSlotDoor')).toHaveLength(1);
    slots[0] = rider;
    feed();
    // Slot index 2 (100 %, 48 V): not 60 V index 3, not faulty index 4, not 90 % index 1.
    expect(cabinet.of('openSlotDoor')).toEqual([0, 2]);
    expect(swap.current()).toMatchObject({ phase: 'opening-full', slot: 3 });

    slots[2] = { ...(slots[2] as SlotSpec), door: 'open' };
    feed();
    slots[2] = { state: 'empty', door: 'open' };
    feed();
    slots[2] = { state: 'empty' };
    feed();
    expect(swap.current()).toBeUndefined();
    expect(p.events('swap.completed')).toMatchObject([
      {
        device: 'cabinet-1',
        data: { swapId: 'sw-1', sub: 'rider-7', returnedSlot: 1, returnedBatteryId: '77', returnedSoc: 12, takenSlot: 3, takenBatteryId: '12', takenSoc: 100, packType: '48V' },
      },
    ]);
    expect(p.store.sessions.list({ kind: 'swap' })).toMatchObject([{ outcome: 'completed', subject: 'rider-7' }]);
  });

  it('refuses with DEVICE_OFFLINE, BUSY, NO_BATTERY and FULL', async () => {
    const off = setup();
    off.safety.update(offlineCabinet());
    await expect(off.swap.begin({ swapId: 'a' })).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });

    const busy = setup();
    await busy.swap.begin({ swapId: 'b1' });
    await expect(busy.swap.begin({ swapId: 'b2' })).rejects.toMatchObject({ code: 'BUSY' });

    const none = setup([{ state: 'empty' }, { state: 'charging', soc: 80 }, { state: 'ready', soc: 100, overTemperature: true, batteryTemp: 61 }]);
    await expect(none.swap.begin({ swapId: 'c' })).rejects.toMatchObject({ code: 'NO_BATTERY' });

    const full = setup([{ state: 'ready', soc: 100 }, { state: 'charging', soc: 80 }]);
    await expect(full.swap.begin({ swapId: 'd' })).rejects.toMatchObject({ code: 'FULL' });
    for (const s of [off, busy, none, full]) s.swap.stop();
  });

  it('never offers a slot an operator took out of service', async () => {
    const { cabinet, safety, swap, slots, feed } = setup();
    safety.setSlotEnabled(3, false);
    await swap.begin({ swapId: 'sw' });
    slots[0] = rider;
    feed();
    expect(cabinet.of('openSlotDoor')).toEqual([0, 1]);
  });

  it('aborts with insert-timeout when the rider walks away', async () => {
    const { p, clock, swap, slots, feed } = setup();
    await swap.begin({ swapId: 'sw', sub: 'r' });
    slots[0] = { state: 'empty', door: 'open' };
    feed();
    clock.advance(LIMITS.insertMs - 1);
    expect(swap.current()).toBeDefined();
    clock.advance(1);
    expect(swap.current()).toBeUndefined();
    expect(p.events('swap.aborted')).toMatchObject([{ data: { swapId: 'sw', sub: 'r', reason: 'insert-timeout', emptySlot: 1 } }]);
    expect(p.store.sessions.list({ kind: 'swap' })).toMatchObject([{ outcome: 'insert-timeout' }]);
  });

  it('aborts with door-jammed when the empty slot never opens, and does not pick that door next time', async () => {
    const { p, clock, cabinet, swap } = setup();
    await swap.begin({ swapId: 'sw1' });
    clock.advance(LIMITS.doorOpenMs);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'door-jammed', jammedSlot: 1 } }]);
    await expect(swap.begin({ swapId: 'sw2' })).resolves.toMatchObject({ slot: 6 });
    expect(cabinet.of('openSlotDoor')).toEqual([0, 5]);
  });

  it('offers the next battery when the charged slot jams, and hands the rider their own back when none is left', async () => {
    const slots: SlotSpec[] = [{ state: 'empty' }, { state: 'ready', soc: 95, batteryId: 21 }, { state: 'ready', soc: 100, batteryId: 22 }];
    const { p, clock, cabinet, swap, feed } = setup(slots);
    await swap.begin({ swapId: 'sw' });
    slots[0] = rider;
    feed();
    clock.advance(LIMITS.doorOpenMs);
    expect(cabinet.of('openSlotDoor')).toEqual([0, 2, 1]);
    clock.advance(LIMITS.doorOpenMs);
    expect(cabinet.of('openSlotDoor')).toEqual([0, 2, 1, 0]);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'door-jammed', returnedSlot: 1, returnedBatteryId: '77', handedBack: true } }]);
  });

  it('hands the rider their battery back when no ready battery of its pack type is left (no-battery)', async () => {
    const { p, cabinet, swap, slots, feed } = setup();
    await swap.begin({ swapId: 'sw' });
    slots[0] = { ...rider, packType: 60, batteryId: 78 };
    slots[3] = { state: 'charging', soc: 70, packType: 60 };
    feed();
    expect(cabinet.of('openSlotDoor')).toEqual([0, 0]);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'no-battery', returnedSlot: 1, returnedBatteryId: '78', handedBack: true } }]);
    expect(swap.current()).toBeUndefined();
  });

  it('aborts with take-timeout when the charged battery is not taken', async () => {
    const { p, clock, swap, slots, feed } = setup();
    await swap.begin({ swapId: 'sw' });
    slots[0] = rider;
    feed();
    slots[2] = { ...(slots[2] as SlotSpec), door: 'open' };
    feed();
    slots[2] = { ...(slots[2] as SlotSpec), door: 'closed' };
    feed();
    clock.advance(LIMITS.takeMs);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'take-timeout', returnedSlot: 1, offeredSlot: 3 } }]);
    expect(p.events('swap.completed')).toEqual([]);
  });

  it('answers DEVICE_ERROR and logs the abort when the first door pulse fails', async () => {
    const { p, cabinet, swap } = setup();
    cabinet.fail = true;
    await expect(swap.begin({ swapId: 'sw' })).rejects.toMatchObject({ code: 'DEVICE_ERROR' });
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'device-error' } }]);
    cabinet.fail = false;
    await flush();
    await expect(swap.begin({ swapId: 'sw2' })).resolves.toMatchObject({ slot: 1 });
  });
});

/** The same cabinet without door sensors: no door is ever read open or shut. */
function setupNoDoors(slots: SlotSpec[] = defaultSlots(), batteryIds = true) {
  const p = parts.open();
  const clock = new FakeClock();
  const cabinet = new FakeCabinet(slots, { doorSensor: false, batteryIds });
  const log = silentLogger();
  const safety = new CabinetSafety({ device: 'cabinet-1', cabinet, alarms: p.alarms, settings: p.store.settings, log, clock });
  const swap = new BatterySwap({ device: 'cabinet-1', cabinet, safety, outbox: p.store.outbox, recorder: p.recorder, log, clock, limits: LIMITS });
  safety.start();
  swap.start();
  const feed = (): void => safety.update(cabinet.read());
  feed();
  return { p, clock, cabinet, safety, swap, slots, feed };
}

describe('BatterySwap on a cabinet without door sensors', () => {
  it('completes from the batteries alone: the return when the rider\'s battery and its id read, the take when the slot reads empty', async () => {
    const { p, clock, cabinet, swap, slots, feed } = setupNoDoors();
    await expect(swap.begin({ swapId: 'sw-1', sub: 'rider-7' })).resolves.toEqual({ swapId: 'sw-1', slot: 1 });
    expect(cabinet.of('openSlotDoor')).toEqual([0]);
    // No door to see open: the door timer means nothing here, and no door is jammed.
    clock.advance(LIMITS.doorOpenMs * 3);
    expect(swap.current()).toMatchObject({ phase: 'awaiting-insert', slot: 1 });

    // In, but its id not read yet (the BMS link takes a moment): not returned yet.
    slots[0] = { ...rider, batteryId: 0 };
    feed();
    expect(cabinet.of('openSlotDoor')).toEqual([0]);
    slots[0] = rider;
    feed();
    expect(cabinet.of('openSlotDoor')).toEqual([0, 2]);
    expect(swap.current()).toMatchObject({ phase: 'awaiting-take', slot: 3 });

    // The BMS link flickers while the battery is still inside: not a take.
    slots[2] = { ...(slots[2] as SlotSpec), batteryId: 0 };
    feed();
    expect(swap.current()).toBeDefined();
    slots[2] = { state: 'empty' };
    feed();
    expect(swap.current()).toBeUndefined();
    expect(p.events('swap.completed')).toMatchObject([
      { data: { swapId: 'sw-1', sub: 'rider-7', returnedSlot: 1, returnedBatteryId: '77', takenSlot: 3, takenBatteryId: '12', takenSoc: 100, packType: '48V' } },
    ]);
    expect(p.events('swap.aborted')).toEqual([]);
  });

  it('sees the take as another battery\'s id in the offered slot, and works without ids from presence alone', async () => {
    const ids = setupNoDoors();
    await ids.swap.begin({ swapId: 'a' });
    ids.slots[0] = rider;
    ids.feed();
    ids.slots[2] = { state: 'charging', soc: 5, batteryId: 99 };
    ids.feed();
    const completed = (swapId: string) => ids.p.events('swap.completed').filter((e) => e.data['swapId'] === swapId);
    expect(completed('a')).toMatchObject([{ data: { takenSlot: 3, takenBatteryId: '12' } }]);

    const bare = setupNoDoors(defaultSlots(), false);
    await bare.swap.begin({ swapId: 'b' });
    bare.slots[0] = rider;
    bare.feed();
    expect(bare.cabinet.of('openSlotDoor')).toEqual([0, 2]);
    bare.slots[2] = { state: 'empty' };
    bare.feed();
    expect(completed('b')).toMatchObject([{ data: { returnedSlot: 1, returnedBatteryId: null, takenSlot: 3, takenBatteryId: null } }]);
  });

  it('aborts on the insert timeout, and the slot is used again by the next swap', async () => {
    const { p, clock, cabinet, swap } = setupNoDoors();
    await swap.begin({ swapId: 'sw-1' });
    clock.advance(LIMITS.insertMs - 1);
    expect(swap.current()).toBeDefined();
    clock.advance(1);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { swapId: 'sw-1', reason: 'insert-timeout', emptySlot: 1 } }]);
    expect(p.events('swap.aborted')[0]?.data).not.toHaveProperty('handedBack');
    await expect(swap.begin({ swapId: 'sw-2' })).resolves.toMatchObject({ slot: 1 });
    expect(cabinet.of('openSlotDoor')).toEqual([0, 0]);
  });

  it('hands back a battery that came in but never read an id, on the insert timeout', async () => {
    const { p, clock, cabinet, swap, slots, feed } = setupNoDoors();
    await swap.begin({ swapId: 'sw' });
    slots[0] = { ...rider, batteryId: 0 };
    feed();
    clock.advance(LIMITS.insertMs);
    expect(cabinet.of('openSlotDoor')).toEqual([0, 0]);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'insert-timeout', returnedSlot: 1, handedBack: true } }]);
  });

  it('aborts on the take timeout, and the battery not taken is offered again later', async () => {
    const { p, clock, cabinet, swap, slots, feed } = setupNoDoors();
    await swap.begin({ swapId: 'sw-1' });
    slots[0] = rider;
    feed();
    expect(cabinet.of('openSlotDoor')).toEqual([0, 2]);
    clock.advance(LIMITS.takeMs);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'take-timeout', returnedSlot: 1, offeredSlot: 3 } }]);

    // Slot 1 now holds the rider's battery: the next swap opens slot 6 and offers slot 3 again.
    await expect(swap.begin({ swapId: 'sw-2' })).resolves.toMatchObject({ slot: 6 });
    slots[5] = { ...rider, batteryId: 78 };
    feed();
    expect(cabinet.of('openSlotDoor')).toEqual([0, 2, 5, 2]);
  });
});

describe('BatterySwap.check', () => {
  it('refuses as begin would, and leaves no trace: no event, no door, no claim', async () => {
    const cases: Array<[string, ReturnType<typeof setup>, string]> = [];
    const off = setup();
    off.safety.update(offlineCabinet());
    cases.push(['offline', off, 'DEVICE_OFFLINE']);
    const busy = setup();
    await busy.swap.begin({ swapId: 'b1' });
    cases.push(['busy', busy, 'BUSY']);
    const smoke = setup(defaultSlots(), 'cabinet-smoke');
    smoke.cabinet.smoke = true;
    smoke.feed();
    cases.push(['smoke', smoke, 'CLOSED']);
    cases.push(['no battery', setup([{ state: 'empty' }, { state: 'charging', soc: 80 }, { state: 'unknown', soc: 100 }]), 'NO_BATTERY']);
    const disabled = setup([{ state: 'empty' }, { state: 'ready', soc: 100 }], 'cabinet-disabled');
    disabled.safety.setSlotEnabled(2, false);
    cases.push(['the only ready slot out of service', disabled, 'NO_BATTERY']);
    cases.push(['full', setup([{ state: 'ready', soc: 100 }, { state: 'charging', soc: 80 }, { state: 'unknown' }]), 'FULL']);

    for (const [what, s, code] of cases) {
      const events = s.p.events().length;
      const calls = s.cabinet.calls.length;
      const before = s.swap.current();
      let thrown: unknown;
      try {
        s.swap.check();
      } catch (err) {
        thrown = err;
      }
      expect(thrown, what).toBeInstanceOf(AccessDenied);
      expect(thrown, what).toMatchObject({ code });
      expect(s.p.events().length, what).toBe(events);
      expect(s.cabinet.calls.length, what).toBe(calls);
      expect(s.swap.current(), what).toEqual(before);
      await expect(s.swap.begin({ swapId: `again-${what}` }), what).rejects.toMatchObject({ code });
      s.swap.stop();
    }
  });

  it('passes on a cabinet that can swap, and still leaves no trace', async () => {
    const { p, cabinet, swap } = setup();
    expect(() => swap.check()).not.toThrow();
    expect(p.events()).toEqual([]);
    expect(cabinet.calls).toEqual([]);
    expect(swap.current()).toBeUndefined();
    await expect(swap.begin({ swapId: 'sw' })).resolves.toMatchObject({ slot: 1 });
  });
});
