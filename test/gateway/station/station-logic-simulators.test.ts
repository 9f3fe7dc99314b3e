import { afterEach, describe, expect, it } from 'vitest';
import type { Capability } from '../../../device-drivers/capabilities/capabilities.js';
import type { DeviceDriver } from '../../../device-drivers/device.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { BatterySwap } from '../../../gateway/station/battery-swap.js';
import { CabinetSafety } from '../../../gateway/station/cabinet-safety.js';
import { DailyWindow } from '../../../gateway/station/daily-window.js';
import { OccupancyWatch } from '../../../gateway/station/occupancy-watch.js';
import { WaterService } from '../../../gateway/station/water-service.js';
import type { SlotSnapshot } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import type { DispenserSnapshot } from '../../../simulators/modbus/models/water-dispenser-model.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startSimStation, type SimStation } from './sim-station.js';
import { useStationParts, type StationParts } from './station-harness.js';

/*
 * The station logic against the simulators over real TCP, driven as a rider, a leak or a
 * collapsed worker would drive them: through the simulators' own commands.
 */

const parts = useStationParts();

/** The driver's typed capability of `kind`: what the station logic is given, as the wiring gives it. */
function capabilityOf<K extends Capability['kind']>(driver: DeviceDriver, kind: K): Extract<Capability, { kind: K }> {
  const c = driver.capability;
  if (c?.kind !== kind) throw new Error(`the driver has no ${kind} capability`);
  return c as Extract<Capability, { kind: K }>;
}
const running: SimStation[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function cabinetStation(p: StationParts, limits = {}) {
  const station = await startSimStation([{ id: 'cabinet-1', kind: 'battery-cabinet', slots: 6 }]);
  running.push(station);
  const log = silentLogger();
  const cabinet = station.device('cabinet-1');
  const capability = capabilityOf(cabinet.driver, 'battery-cabinet');
  const safety = new CabinetSafety({ device: 'cabinet-1', cabinet: capability, alarms: p.alarms, settings: p.store.settings, log });
  const swap = new BatterySwap({ device: 'cabinet-1', cabinet: capability, safety, outbox: p.store.outbox, recorder: p.recorder, log, limits });
  safety.start();
  swap.start();
  cabinet.monitor.on('state', (s) => safety.update(capability.reading(s)));
  const slots = (): SlotSnapshot[] => station.simState<{ slots: SlotSnapshot[] }>('cabinet-1').slots;
  const cmd = (line: string): Promise<string> => station.sim.command(`cabinet-1 ${line}`);
  // A known cabinet, by door number: 2 ready 48 V, 3 ready 60 V, 4 charging 48 V at 60 %; 1, 5 and 6 empty.
  for (const s of slots()) if (s.state !== 'empty') await cmd(`slot ${s.slot} remove`);
  await cmd('slot 2 insert 100 48');
  await cmd('slot 3 insert 100 60');
  await cmd('slot 4 insert 60 48');
  await station.startPolling();
  await waitFor(() => JSON.stringify(safety.readyBatteries()) === JSON.stringify({ '48V': 1, '60V': 1 }), 10_000, 'the cabinet read as set up');
  return { station, safety, swap, slots, cmd, cabinet };
}

describe('station logic against the simulators', () => {
  it('a full battery swap, as a rider does it', async () => {
    const p = parts.open();
    const { swap, slots, cmd } = await cabinetStation(p);
    const ready48 = slots()[1] as SlotSnapshot;

    await expect(swap.begin({ swapId: 'sw-1', sub: 'rider-1' })).resolves.toEqual({ swapId: 'sw-1', slot: 1 });
    await waitFor(() => slots()[0]?.door === 'open', 5000, 'the empty slot door to open');
    await cmd('slot 1 insert 15 48');
    await cmd('slot 1 door close');
    await waitFor(() => slots()[1]?.door === 'open', 5000, 'the charged 48 V slot door to open');
    expect(slots()[2]?.door).toBe('closed');
    await cmd('slot 2 remove');
    await cmd('slot 2 door close');
    const completed = await p.nextEvent('swap.completed');
    const returned = slots()[0] as SlotSnapshot;
    expect(completed).toMatchObject({
      device: 'cabinet-1',
      data: { swapId: 'sw-1', sub: 'rider-1', returnedSlot: 1, returnedBatteryId: String(returned.batteryId), returnedSoc: 15, takenSlot: 2, takenBatteryId: String(ready48.batteryId), takenSoc: 100, packType: '48V' },
    });
    expect(p.store.sessions.list({ kind: 'swap' })).toMatchObject([{ outcome: 'completed', subject: 'rider-1' }]);
  });

  it('an aborted swap: the empty slot door is jammed', async () => {
    const p = parts.open();
    const { swap, cmd } = await cabinetStation(p, { doorOpenMs: 1500 });
    await cmd('slot 1 door jammed');
    await expect(swap.begin({ swapId: 'sw-2', sub: 'rider-2' })).resolves.toMatchObject({ slot: 1 });
    const aborted = await p.nextEvent('swap.aborted', 10_000);
    expect(aborted.data).toMatchObject({ swapId: 'sw-2', reason: 'door-jammed', jammedSlot: 1 });
    expect(p.store.sessions.list({ kind: 'swap' })).toMatchObject([{ outcome: 'door-jammed' }]);
  });

  it('an aborted swap: no ready battery of the rider\'s pack type, so their own is handed back', async () => {
    const p = parts.open();
    const { swap, slots, cmd } = await cabinetStation(p);
    await cmd('slot 3 remove');
    await swap.begin({ swapId: 'sw-3' });
    await waitFor(() => slots()[0]?.door === 'open', 5000, 'the empty slot door to open');
    await cmd('slot 1 insert 20 60');
    await cmd('slot 1 door close');
    const aborted = await p.nextEvent('swap.aborted');
    expect(aborted.data).toMatchObject({ reason: 'no-battery', returnedSlot: 1, handedBack: true });
    // The rider's own battery is released again, and no other door opened.
    await waitFor(() => slots()[0]?.door === 'open', 5000, 'the rider\'s slot to reopen');
    expect(slots()[1]?.door).toBe('closed');
  });

  it('a thermal event while charging: the door number typed is the alarm\'s, and the cut is on that slot\'s coil', async () => {
    const p = parts.open();
    const { cabinet, cmd, safety } = await cabinetStation(p);
    // Door 5 is slots[4], its charging coil 100 + 4 (cabinet-ref).
    await cmd('slot 5 insert 50 48');
    expect(await cabinet.readCoil(100 + 4)).toBe(true);
    await cmd('slot 5 temperature 62');
    await waitFor(() => p.alarms.active().find((a) => a.alarm === 'slot.overheat.5'), 5000, 'slot.overheat.5');
    expect(p.alarms.active()).toMatchObject([{ alarm: 'slot.overheat.5', severity: 'critical', device: 'cabinet-1', detail: { slot: 5 } }]);
    await waitFor(async () => !(await cabinet.readCoil(100 + 4)), 5000, 'charging coil of slots[4] cut');
    expect(safety.lockedOut(4)).toBe(true);
    // Neighbours keep charging.
    expect(await cabinet.readCoil(100 + 3)).toBe(true);
    expect(await cabinet.readCoil(100 + 5)).toBe(true);

    await cmd('slot 5 temperature 50');
    await new Promise((r) => setTimeout(r, 500));
    expect(safety.lockedOut(4)).toBe(true);
    await cmd('slot 5 temperature 40');
    await waitFor(() => p.alarms.active().length === 0, 5000, 'the alarm to clear');
    await waitFor(async () => cabinet.readCoil(100 + 4), 5000, 'charging coil of slots[4] restored');
  });

  it('a swap\'s reply and events name the door whose coil was pulsed', async () => {
    const p = parts.open();
    const { swap, slots, cmd, safety } = await cabinetStation(p);
    // Doors 1 and 5 taken: the first empty door is 6, slots[5].
    await cmd('slot 1 insert 30 48');
    await cmd('slot 5 insert 30 48');
    await waitFor(() => safety.current().slots.filter((s) => !s.hasBattery).length === 1, 5000, 'the gateway to read doors 1 and 5 full');
    try {
      const reply = await swap.begin({ swapId: 'sw-9' });
      await waitFor(() => slots().some((s) => s.door === 'open'), 5000, 'a door to open');
      expect(slots().filter((s) => s.door === 'open').map((s) => [s.slot, s.slotIndex])).toEqual([[6, 5]]);
      expect(reply).toEqual({ swapId: 'sw-9', slot: 6 });
      expect((await p.nextEvent('swap.started')).data).toMatchObject({ emptySlot: 6 });
    } finally {
      swap.stop();
    }
  });

  it('a leak during a water session: valve closed, critical alarm, the draw logged', async () => {
    const p = parts.open();
    const station = await startSimStation([{ id: 'water-1', kind: 'water-dispenser' }]);
    running.push(station);
    const dispenser = station.device('water-1');
    const valve = capabilityOf(dispenser.driver, 'water-dispenser');
    const water = new WaterService({ device: 'water-1', dispenser: valve, alarms: p.alarms, recorder: p.recorder, log: silentLogger() });
    dispenser.monitor.on('state', (s) => water.update(valve.reading(s)));
    const sim = (): DispenserSnapshot => station.simState<DispenserSnapshot>('water-1');
    await station.startPolling();
    // The dispenser boots with its valve open; the gateway closes it until a session is granted.
    await waitFor(() => !sim().dispensingEnabled, 5000, 'the valve closed at start');

    await expect(water.dispense({ sub: 'rider-4' })).resolves.toMatchObject({ device: 'water-1' });
    // The simulated worker starts drawing a moment after the valve opens.
    await waitFor(() => sim().session === 'dispensing' && sim().sessionVolume >= 50, 10_000, 'water flowing');
    await station.sim.command('water-1 leak on');
    await waitFor(async () => !(await dispenser.readCoil(0)), 5000, 'the valve coil cut');
    const dispensed = await p.nextEvent('water.dispensed');
    expect(dispensed.data).toMatchObject({ sub: 'rider-4' });
    expect(dispensed.data['ml']).toBeGreaterThanOrEqual(50);
    expect(p.alarms.active()).toMatchObject([{ alarm: 'water.leak', severity: 'critical', device: 'water-1' }]);
    await expect(water.dispense({ sub: 'rider-5' })).rejects.toMatchObject({ code: 'DEVICE_ERROR' });
    water.stop();
  });

  it('a motionless person at night: critical alarm, cleared when they move; the stay logged when they leave', async () => {
    const p = parts.open();
    const station = await startSimStation([{ id: 'occupancy-1', kind: 'occupancy' }]);
    running.push(station);
    const sensor = station.device('occupancy-1');
    const watch = new OccupancyWatch({
      device: 'occupancy-1',
      alarms: p.alarms,
      recorder: p.recorder,
      night: new DailyWindow('00:00-24:00', 'UTC'),
      log: silentLogger(),
      limits: { stillAlarmSeconds: 2, leftAfterMs: 0 },
    });
    const occupancy = capabilityOf(sensor.driver, 'occupancy');
    sensor.monitor.on('state', (s) => watch.update(occupancy.reading(s)));
    const occ = (line: string): Promise<string> => station.sim.command(`occupancy-1 ${line}`);
    await occ('wander off');
    await occ('people 0');
    await station.startPolling();
    await waitFor(() => watch.inside() === 0, 5000, 'an empty room');

    await occ('person enter');
    await waitFor(() => watch.inside() === 1, 5000, 'one person inside');
    await occ('person still');
    await waitFor(() => p.alarms.active().find((a) => a.alarm === 'person.still'), 10_000, 'person.still');
    expect(p.alarms.active()).toMatchObject([{ alarm: 'person.still', severity: 'critical', device: 'occupancy-1' }]);
    await occ('person move');
    // Cleared once: a moving person's stillSeconds climbs again between movements, so with a
    // threshold this short the alarm may come back before they leave; that is not under test.
    await waitFor(() => p.events('alarm.cleared').length > 0, 5000, 'the alarm to clear');
    await occ('person leave');
    const stay = await p.nextEvent('occupancy.session');
    expect(stay.data).toMatchObject({ peakPeople: 1 });
  });
});
