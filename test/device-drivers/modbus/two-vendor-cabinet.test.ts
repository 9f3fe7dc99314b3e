import { afterEach, describe, expect, it } from 'vitest';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { BatteryCabinetModel } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { startModbusSimulator } from '../../../simulators/modbus/start-modbus-device-sim.js';
import { loadTestProfile } from '../../simulators/modbus/load-test-profile.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

/** One cabinet on the simulator, read by the generic driver; the model's clock is held still. */
async function readCabinet(profileName: string) {
  const profile = loadTestProfile(profileName);
  const model = new BatteryCabinetModel({ profile, slots: 8, seed: 11 });
  model.removeBattery(2);
  model.insertBattery(2, { soc: 37, packType: 60, id: 0x12345678 });
  model.setSlotTemperature(5, 61.5);
  const sim = await startModbusSimulator({ host: '127.0.0.1', port: 0, framing: 'mbap', tickMs: 3_600_000, devices: [{ unitId: 1, model }] });
  cleanup.push(() => sim.stop());
  const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
  cleanup.push(() => bus.close());
  const driver = new ModbusProfileDriver({ profile, bus, unitId: 1, timeoutMs: 1000 });
  return { points: await driver.read(), snapshot: model.snapshot(), transactions: driver.transactionsPerPoll() };
}

describe('two cabinet vendors, one driver', () => {
  it('reads cabinet-alt (other map, low word first, mV/mA/0.01 °C) as the same cabinet as cabinet-ref', async () => {
    const ref = await readCabinet('cabinet-ref');
    const alt = await readCabinet('cabinet-alt');
    expect(alt.snapshot).toEqual(ref.snapshot);
    expect(alt.transactions).toBe(2);
    expect(alt.points['slotCount']).toBe(8);
    expect(alt.points['status']).toEqual(ref.points['status']);
    expect(alt.points['cabinetTemp']).toBeCloseTo(ref.points['cabinetTemp'] as number, 1);
    const refSlots = ref.points['slots'] as Array<Record<string, number | string | object>>;
    const altSlots = alt.points['slots'] as Array<Record<string, number | string | object>>;
    expect(altSlots).toHaveLength(8);
    altSlots.forEach((slot, i) => {
      const r = refSlots[i]!;
      for (const exact of ['state', 'door', 'soc', 'fault', 'batteryId', 'packType']) expect(slot[exact], `slot ${i} ${exact}`).toEqual(r[exact]);
      // Finer resolution in the alt map: equal to the reference's resolution.
      expect(slot['voltage'] as number).toBeCloseTo(r['voltage'] as number, 1);
      expect(slot['current'] as number).toBeCloseTo(r['current'] as number, 1);
      expect(slot['batteryTemp'] as number).toBeCloseTo(r['batteryTemp'] as number, 1);
    });
    // The facts the test planted came through the alt map, including a 32-bit id low word first.
    expect(altSlots[2]).toMatchObject({ soc: 37, packType: 60, batteryId: 0x12345678 });
    expect(altSlots[5]).toMatchObject({ batteryTemp: 61.5, fault: { overTemperature: true } });
  });
});
