import { describe, expect, it } from 'vitest';
import { AccessDenied } from '../../../gateway/access/access-error.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { CabinetSafety, SMOKE_CLEAR_MS } from '../../../gateway/station/cabinet-safety.js';
import { FakeCabinet, FakeClock, cabinetReading, type SlotSpec } from './station-fakes.js';
import { useStationParts, type StationParts } from './station-harness.js';

const parts = useStationParts();

function setup(p: StationParts = parts.open()) {
  const clock = new FakeClock();
  const cabinet = new FakeCabinet();
  const safety = new CabinetSafety({ device: 'cabinet-1', cabinet, alarms: p.alarms, settings: p.store.settings, log: silentLogger(), clock });
  safety.start();
  return { p, clock, cabinet, safety };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const alarmNames = (p: StationParts): string[] => p.alarms.active().map((a) => a.alarm).sort();

const base: SlotSpec[] = [
  { state: 'charging', soc: 40, batteryTemp: 31 },
  { state: 'ready', soc: 100, batteryTemp: 29 },
  { state: 'empty' },
];

describe('CabinetSafety', () => {
  it('cuts charging on an overheating slot at once and releases it only when clear and below 45 °C', async () => {
    const { p, cabinet, safety } = setup();
    safety.update(cabinetReading(base));
    expect(alarmNames(p)).toEqual([]);

    safety.update(cabinetReading([{ ...base[0], batteryTemp: 59.9 }, base[1] as SlotSpec, base[2] as SlotSpec]));
    expect(alarmNames(p)).toEqual([]);
    expect(cabinet.of('setCharging')).toEqual([]);

    safety.update(cabinetReading([{ state: 'fault', soc: 40, batteryTemp: 60, overTemperature: true }, base[1] as SlotSpec, base[2] as SlotSpec]));
    await flush();
    expect(p.alarms.active()).toMatchObject([{ alarm: 'slot.overheat.1', severity: 'critical', device: 'cabinet-1', detail: { slot: 1, batteryTemp: 60 } }]);
    expect(cabinet.of('setCharging')).toEqual([[false, 0]]);
    expect(safety.lockedOut(0)).toBe(true);
    expect(safety.lockedOut(1)).toBe(false);

    // Cooling through the band: still locked out, no flapping alarm, no second command.
    for (const [temp, bit] of [[55, true], [50, false], [44.9, true], [46, false]] as const) {
      safety.update(cabinetReading([{ state: bit ? 'fault' : 'disabled', soc: 40, batteryTemp: temp, overTemperature: bit }, base[1] as SlotSpec, base[2] as SlotSpec]));
      await flush();
      expect(safety.lockedOut(0)).toBe(true);
    }
    expect(p.events('alarm.raised')).toHaveLength(1);
    expect(cabinet.of('setCharging')).toEqual([[false, 0]]);

    safety.update(cabinetReading([{ state: 'disabled', soc: 40, batteryTemp: 44.9 }, base[1] as SlotSpec, base[2] as SlotSpec]));
    await flush();
    expect(alarmNames(p)).toEqual([]);
    expect(p.events('alarm.cleared')).toMatchObject([{ device: 'cabinet-1', data: { alarm: 'slot.overheat.1' } }]);
    expect(cabinet.of('setCharging')).toEqual([[false, 0], [true, 0]]);
    expect(safety.lockedOut(0)).toBe(false);
  });

  it('treats the fault bit alone as overheating and never offers that slot', () => {
    const { p, safety } = setup();
    safety.update(cabinetReading([{ state: 'ready', soc: 100, batteryTemp: 30, overTemperature: true }, { state: 'ready', soc: 90, batteryTemp: 30, packType: 60 }]));
    expect(alarmNames(p)).toEqual(['slot.overheat.1']);
    expect(safety.readyBatteries()).toEqual({ '60V': 1 });
  });

  it('retries a charging cut that failed on the next reading', async () => {
    const { cabinet, safety } = setup();
    cabinet.fail = true;
    const hot = cabinetReading([{ state: 'fault', batteryTemp: 65, overTemperature: true }]);
    safety.update(hot);
    await flush();
    cabinet.fail = false;
    safety.update(hot);
    await flush();
    safety.update(hot);
    await flush();
    expect(cabinet.of('setCharging')).toEqual([[false, 0], [false, 0]]);
  });

  it('smoke: a critical alarm, charging cut and every slot locked out until the detector stays quiet', async () => {
    const { p, clock, cabinet, safety } = setup();
    const smoky = [{ state: 'charging' as const, batteryTemp: 30 }, { state: 'ready' as const, soc: 100 }, { state: 'fault' as const, batteryTemp: 70, overTemperature: true }];
    safety.update(cabinetReading(smoky, true));
    await flush();
    expect(alarmNames(p)).toEqual(['cabinet.smoke', 'slot.overheat.3']);
    expect(cabinet.of('setCharging').sort()).toEqual([[false, 0], [false, 1], [false, 2]]);
    expect([0, 1, 2].map((i) => safety.lockedOut(i))).toEqual([true, true, true]);
    expect(safety.readyBatteries()).toEqual({});

    // A flicker of "no smoke" does not clear it; a quiet detector for the whole hold does.
    safety.update(cabinetReading(smoky, false));
    clock.advance(SMOKE_CLEAR_MS - 1000);
    safety.update(cabinetReading(smoky, true));
    clock.advance(2000);
    safety.update(cabinetReading(smoky, false));
    expect(alarmNames(p)).toContain('cabinet.smoke');
    clock.advance(SMOKE_CLEAR_MS);
    safety.update(cabinetReading(smoky, false));
    await flush();
    expect(alarmNames(p)).toEqual(['slot.overheat.3']);
    // Charging comes back where nothing else holds it off: not on the slot still overheating.
    expect(cabinet.of('setCharging').filter(([v]) => v === true).sort()).toEqual([[true, 0], [true, 1]]);
    expect(safety.readyBatteries()).toEqual({ '48V': 1 });
  });

  it('keeps operator lock-outs across a restart and refuses slots the cabinet does not have', () => {
    const first = setup();
    first.safety.update(cabinetReading(base));
    expect(first.safety.readyBatteries()).toEqual({ '48V': 1 });
    expect(first.safety.setSlotEnabled(2, false)).toEqual({ slot: 2, enabled: false });
    expect(first.safety.readyBatteries()).toEqual({});
    expect(() => first.safety.setSlotEnabled(4, false)).toThrow(expect.objectContaining({ code: 'UNKNOWN_RESOURCE' }) as AccessDenied);

    const again = setup(parts.restart(first.p));
    again.safety.update(cabinetReading(base));
    expect(again.safety.disabledSlots()).toEqual([2]);
    expect(again.safety.lockedOut(1)).toBe(true);
    again.safety.setSlotEnabled(2, true);
    expect(again.safety.readyBatteries()).toEqual({ '48V': 1 });
  });

  it('after a restart, clears an overheat alarm the cooled slot no longer supports and turns its charging back on', async () => {
    const first = setup();
    first.safety.update(cabinetReading([{ state: 'fault', batteryTemp: 70, overTemperature: true }]));
    expect(alarmNames(first.p)).toEqual(['slot.overheat.1']);

    const again = setup(parts.restart(first.p));
    expect(alarmNames(again.p)).toEqual(['slot.overheat.1']);
    again.safety.update(cabinetReading([{ state: 'disabled', batteryTemp: 30 }]));
    await flush();
    expect(alarmNames(again.p)).toEqual([]);
    expect(again.cabinet.of('setCharging')).toEqual([[true, 0]]);
  });
});
