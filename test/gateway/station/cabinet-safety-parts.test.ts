import { describe, expect, it } from 'vitest';
import type { CabinetParts, CabinetReading } from '../../../device-drivers/capabilities/capabilities.js';
import { CabinetSafety } from '../../../gateway/station/cabinet-safety.js';
import { FakeCabinet, FakeClock, cabinetReading, memoryLogger, type SlotSpec } from './station-fakes.js';
import { useStationParts, type StationParts } from './station-harness.js';

/*
 * Battery safety on cabinets that lack parts: what the gateway does instead of a per-slot
 * charging cut, what it alarms, and that its log never claims a cut that did not happen.
 */

const parts = useStationParts();
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(cabinetParts: Partial<CabinetParts>, slots: SlotSpec[], device = 'cabinet-1') {
  const p = parts.open();
  const clock = new FakeClock();
  const cabinet = new FakeCabinet(slots, cabinetParts);
  const logs = memoryLogger();
  // Setups in one test share its database: another device id keeps their alarms apart.
  const safety = new CabinetSafety({ device, cabinet, alarms: p.alarms, settings: p.store.settings, log: logs.log, clock });
  safety.start();
  const feed = async (): Promise<void> => {
    safety.update(cabinet.read());
    await flush();
  };
  return { p, clock, cabinet, logs, safety, slots, feed };
}

const names = (p: StationParts): string[] => p.alarms.active().map((a) => a.alarm).sort();
const claimsCut = (messages: string[]): string[] => messages.filter((m) => /charging cut/i.test(m));

const hot: SlotSpec = { state: 'fault', batteryTemp: 63, overTemperature: true, soc: 70 };
const cool: SlotSpec = { state: 'charging', batteryTemp: 40, soc: 70 };
const ready: SlotSpec = { state: 'ready', soc: 100, batteryTemp: 30 };

describe('CabinetSafety on a cabinet without a charging switch', () => {
  it('locks an overheating slot out, raises a critical alarm that charging was not cut, and never logs a cut', async () => {
    const { p, cabinet, logs, safety, slots, feed } = setup({ chargingSwitch: false, cabinetChargingCut: false }, [cool, ready]);
    await feed();
    slots[0] = hot;
    await feed();
    expect(safety.lockedOut(0)).toBe(true);
    expect(p.alarms.active().sort((a, b) => a.alarm.localeCompare(b.alarm))).toMatchObject([
      { alarm: 'slot.charging-not-cut.1', severity: 'critical', device: 'cabinet-1', detail: { slot: 1, message: 'charging could not be cut: the cabinet has no charging switch' } },
      { alarm: 'slot.overheat.1', severity: 'critical', detail: { slot: 1, cut: 'none' } },
    ]);
    // Nothing can cut it, so nothing was written.
    expect(cabinet.calls).toEqual([]);
    expect(logs.messages()).toContain('slot overheating: locked out; charging NOT cut (no switch)');
    expect(claimsCut(logs.messages())).toEqual([]);

    // Released by the same rule: both alarms go, still nothing written or claimed.
    slots[0] = { state: 'charging', batteryTemp: 44, soc: 70 };
    await feed();
    expect(names(p)).toEqual([]);
    expect(safety.lockedOut(0)).toBe(false);
    expect(cabinet.calls).toEqual([]);
    expect(claimsCut(logs.messages())).toEqual([]);
  });

  it('cuts the whole cabinet where the profile binds that, logs it once acknowledged, and restores it only when no slot is held and there is no smoke', async () => {
    const { p, cabinet, logs, safety, slots, feed } = setup({ chargingSwitch: false, cabinetChargingCut: true }, [cool, cool, ready]);
    await feed();
    expect(cabinet.calls).toEqual([]);

    slots[0] = hot;
    safety.update(cabinet.read());
    // Written, not yet acknowledged: the log says what is being done, not that it is done.
    expect(cabinet.of('setCabinetCharging')).toEqual([false]);
    expect(logs.messages()).toContain("slot overheating: locked out; cutting the whole cabinet's charging (no slot switch)");
    expect(claimsCut(logs.messages())).toEqual([]);
    await flush();
    expect(claimsCut(logs.messages())).toEqual(['whole-cabinet charging cut']);
    expect(names(p)).toEqual(['slot.overheat.1']);
    expect(p.alarms.active()[0]?.detail).toMatchObject({ cut: 'cabinet-switch' });
    expect(cabinet.of('setCharging')).toEqual([]);

    // A second slot overheats: the cabinet is already cut.
    slots[1] = hot;
    await feed();
    expect(cabinet.of('setCabinetCharging')).toEqual([false]);
    // The first cools, the second still holds the cut.
    slots[0] = { ...cool, batteryTemp: 30 };
    await feed();
    expect(safety.lockedOut(0)).toBe(false);
    expect(cabinet.of('setCabinetCharging')).toEqual([false]);
    slots[1] = { ...cool, batteryTemp: 30 };
    await feed();
    expect(cabinet.of('setCabinetCharging')).toEqual([false, true]);
    expect(logs.messages()).toContain('whole-cabinet charging restored');

    // Smoke holds it too, and only its clearing (after the hold) restores it.
    cabinet.smoke = true;
    await feed();
    expect(cabinet.of('setCabinetCharging')).toEqual([false, true, false]);
    cabinet.smoke = false;
    await feed();
    expect(cabinet.of('setCabinetCharging')).toEqual([false, true, false]);
    expect(safety.smokeActive()).toBe(true);
  });

  it('falls back when the cabinet rejects its slot switch as UNSUPPORTED, and does not retry it', async () => {
    const noFallback = setup({ chargingSwitch: true, cabinetChargingCut: false }, [cool, ready]);
    noFallback.cabinet.refuse.add('setCharging');
    await noFallback.feed();
    noFallback.slots[0] = hot;
    await noFallback.feed();
    await noFallback.feed();
    await noFallback.feed();
    expect(noFallback.cabinet.of('setCharging')).toEqual([[false, 0]]);
    expect(noFallback.p.alarms.active().find((a) => a.alarm === 'slot.charging-not-cut.1')).toMatchObject({
      severity: 'critical',
      detail: { message: 'charging could not be cut: the cabinet rejected its charging command as unsupported' },
    });
    expect(noFallback.logs.messages()).toContain('the cabinet has no charging switch for this slot (UNSUPPORTED): charging NOT cut; not retried');
    expect(claimsCut(noFallback.logs.messages())).toEqual([]);

    const withCabinetCut = setup({ chargingSwitch: true, cabinetChargingCut: true }, [cool, ready], 'cabinet-2');
    withCabinetCut.cabinet.refuse.add('setCharging');
    await withCabinetCut.feed();
    withCabinetCut.slots[0] = hot;
    await withCabinetCut.feed();
    await flush();
    expect(withCabinetCut.cabinet.of('setCabinetCharging')).toEqual([false]);
    expect(withCabinetCut.p.alarms.active().filter((a) => a.device === 'cabinet-2').map((a) => a.alarm)).toEqual(['slot.overheat.1']);
    expect(claimsCut(withCabinetCut.logs.messages())).toEqual(['whole-cabinet charging cut']);
  });

  it('logs a slot cut only after the cabinet acknowledged it, not while the writes time out', async () => {
    const { cabinet, logs, slots, feed } = setup({}, [cool]);
    cabinet.fail = true;
    await feed();
    slots[0] = hot;
    await feed();
    await feed();
    expect(cabinet.of('setCharging')).toEqual([[false, 0], [false, 0]]);
    expect(logs.messages()).toContain('slot overheating: locked out; cutting its charging');
    expect(logs.messages()).toContain('slot charging command failed: charging NOT cut; retried on the next reading');
    expect(claimsCut(logs.messages())).toEqual([]);
    cabinet.fail = false;
    await feed();
    expect(claimsCut(logs.messages())).toEqual(['slot charging cut']);
    expect(logs.records().find((r) => r.msg === 'slot charging cut')).toMatchObject({ slot: 1 });
  });

  it("holds charging off for the station's fire response, and alarms the slots it cannot cut", async () => {
    const withSwitch = setup({}, [cool, { state: 'empty' }]);
    await withSwitch.feed();
    withSwitch.safety.holdCharging('smoke');
    await flush();
    expect(withSwitch.cabinet.of('setCharging').sort()).toEqual([[false, 0], [false, 1]]);
    // Offering is availability's and access's to stop; the hold only cuts charging.
    expect(withSwitch.safety.lockedOut(0)).toBe(false);
    withSwitch.safety.holdCharging(undefined);
    await flush();
    expect(withSwitch.cabinet.of('setCharging').filter(([on]) => on).sort()).toEqual([[true, 0], [true, 1]]);

    const bare = setup({ chargingSwitch: false }, [cool, { state: 'empty' }], 'cabinet-2');
    await bare.feed();
    bare.safety.holdCharging('smoke');
    // Only the slot with a battery in it is charging, so only it is alarmed.
    expect(names(bare.p)).toEqual(['slot.charging-not-cut.1']);
    expect(bare.logs.messages()).toContain("charging held off by the station's fire response: charging NOT cut (no switch)");
    bare.safety.holdCharging(undefined);
    expect(names(bare.p)).toEqual([]);
    expect(bare.cabinet.calls).toEqual([]);
  });
});

describe('CabinetSafety offering on a cabinet without door sensors', () => {
  it('offers a ready battery whose door can never be read, and never one in an unknown state', () => {
    const p = parts.open();
    const cabinet = new FakeCabinet([], { doorSensor: false });
    const safety = new CabinetSafety({ device: 'cabinet-1', cabinet, alarms: p.alarms, settings: p.store.settings, log: memoryLogger().log, clock: new FakeClock() });
    safety.start();
    safety.update(cabinetReading([ready, { ...ready, state: 'unknown' }, { ...ready, packType: 60 }], false, cabinet.parts));
    expect(safety.current().slots.map((s) => s.doorOpen)).toEqual([undefined, undefined, undefined]);
    expect(safety.readyBatteries()).toEqual({ '48V': 1, '60V': 1 });

    // With door sensors, a door the reading did not say is shut is not known shut.
    const sensed = new CabinetSafety({ device: 'cabinet-2', cabinet: new FakeCabinet(), alarms: p.alarms, settings: p.store.settings, log: memoryLogger().log });
    const reading: CabinetReading = cabinetReading([ready, ready]);
    reading.slots[1] = { ...(reading.slots[1] as CabinetReading['slots'][number]), doorOpen: undefined };
    sensed.update(reading);
    expect(sensed.readyBatteries()).toEqual({ '48V': 1 });
  });
});
