import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { BatterySwap } from '../../../gateway/station/battery-swap.js';
import { CabinetSafety } from '../../../gateway/station/cabinet-safety.js';
import { FakeClock, FakeCommander, cabinetPoints, offline, online, type SlotSpec } from './station-fakes.js';
import { useStationParts } from './station-harness.js';

const parts = useStationParts();
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const LIMITS = { doorOpenMs: 3000, insertMs: 60_000, takeMs: 60_000 };

/**
 * A cabinet of 6 slots (index: 0 empty, 1 ready 48 V 90 %, 2 ready 48 V 100 %, 3 ready 60 V 100 %,
 * 4 ready 48 V 100 % with a charger fault, 5 empty), the swap on it, and `feed` for a reading.
 */
function setup(slots: SlotSpec[] = defaultSlots()) {
  const p = parts.open();
  const clock = new FakeClock();
  const commander = new FakeCommander();
  const log = silentLogger();
  const safety = new CabinetSafety({ device: 'cabinet-1', commander, alarms: p.alarms, settings: p.store.settings, log, clock });
  const swap = new BatterySwap({ device: 'cabinet-1', commander, safety, outbox: p.store.outbox, recorder: p.recorder, log, clock, limits: LIMITS });
  safety.start();
  swap.start();
  const feed = (): void => safety.update(online(cabinetPoints(slots)));
  feed();
  return { p, clock, commander, safety, swap, slots, feed };
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
    const { p, commander, swap, slots, feed } = setup();
    await expect(swap.begin({ swapId: 'sw-1', sub: 'rider-7' })).resolves.toEqual({ swapId: 'sw-1', slot: 1 });
    expect(commander.of('openSlotDoor')).toEqual([[true, 0]]);
    expect(p.events('swap.started')).toMatchObject([{ device: 'cabinet-1', data: { swapId: 'sw-1', sub: 'rider-7', emptySlot: 1 } }]);

    slots[0] = { state: 'empty', door: 'open' };
    feed();
    slots[0] = { ...rider, door: 'open' };
    feed();
    // Door still open: nothing offered yet.
    expect(commander.of('openSlotDoor')).toHaveLength(1);
    slots[0] = rider;
    feed();
    // Slot index 2 (100 %, 48 V): not 60 V index 3, not faulty index 4, not 90 % index 1.
    expect(commander.of('openSlotDoor')).toEqual([[true, 0], [true, 2]]);
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
        data: { swapId: 'sw-1', sub: 'rider-7', returnedSlot: 1, returnedBatteryId: 77, returnedSoc: 12, takenSlot: 3, takenBatteryId: 12, takenSoc: 100, packType: 48 },
      },
    ]);
    expect(p.store.sessions.list({ kind: 'swap' })).toMatchObject([{ outcome: 'completed', subject: 'rider-7' }]);
  });

  it('refuses with DEVICE_OFFLINE, BUSY, NO_BATTERY and FULL', async () => {
    const off = setup();
    off.safety.update(offline());
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
    const { commander, safety, swap, slots, feed } = setup();
    safety.setSlotEnabled(3, false);
    await swap.begin({ swapId: 'sw' });
    slots[0] = rider;
    feed();
    expect(commander.of('openSlotDoor')).toEqual([[true, 0], [true, 1]]);
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
    const { p, clock, commander, swap } = setup();
    await swap.begin({ swapId: 'sw1' });
    clock.advance(LIMITS.doorOpenMs);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'door-jammed', jammedSlot: 1 } }]);
    await expect(swap.begin({ swapId: 'sw2' })).resolves.toMatchObject({ slot: 6 });
    expect(commander.of('openSlotDoor')).toEqual([[true, 0], [true, 5]]);
  });

  it('offers the next battery when the charged slot jams, and hands the rider their own back when none is left', async () => {
    const slots: SlotSpec[] = [{ state: 'empty' }, { state: 'ready', soc: 95, batteryId: 21 }, { state: 'ready', soc: 100, batteryId: 22 }];
    const { p, clock, commander, swap, feed } = setup(slots);
    await swap.begin({ swapId: 'sw' });
    slots[0] = rider;
    feed();
    clock.advance(LIMITS.doorOpenMs);
    expect(commander.of('openSlotDoor')).toEqual([[true, 0], [true, 2], [true, 1]]);
    clock.advance(LIMITS.doorOpenMs);
    expect(commander.of('openSlotDoor')).toEqual([[true, 0], [true, 2], [true, 1], [true, 0]]);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'door-jammed', returnedSlot: 1, returnedBatteryId: 77, handedBack: true } }]);
  });

  it('hands the rider their battery back when no ready battery of its pack type is left (no-battery)', async () => {
    const { p, commander, swap, slots, feed } = setup();
    await swap.begin({ swapId: 'sw' });
    slots[0] = { ...rider, packType: 60, batteryId: 78 };
    slots[3] = { state: 'charging', soc: 70, packType: 60 };
    feed();
    expect(commander.of('openSlotDoor')).toEqual([[true, 0], [true, 0]]);
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'no-battery', returnedSlot: 1, returnedBatteryId: 78, handedBack: true } }]);
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
    const { p, commander, swap } = setup();
    commander.fail = true;
    await expect(swap.begin({ swapId: 'sw' })).rejects.toMatchObject({ code: 'DEVICE_ERROR' });
    expect(p.events('swap.aborted')).toMatchObject([{ data: { reason: 'device-error' } }]);
    commander.fail = false;
    await flush();
    await expect(swap.begin({ swapId: 'sw2' })).resolves.toMatchObject({ slot: 1 });
  });
});
