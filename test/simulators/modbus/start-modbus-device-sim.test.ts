import ModbusRTU from 'modbus-serial';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceModel } from '../../../simulators/modbus/device-model.js';
import { BatteryCabinetModel } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { OccupancyModel } from '../../../simulators/modbus/models/occupancy-model.js';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import { RegisterBank } from '../../../simulators/modbus/register-bank.js';
import { startModbusSimulator } from '../../../simulators/modbus/start-modbus-device-sim.js';
import { loadTestProfile } from './load-test-profile.js';

const ModbusClient = ModbusRTU.default;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('startModbusSimulator', () => {
  it('serves three reference devices on one port at their default unit ids, and ticks them', async () => {
    const ticks: number[] = [];
    const cabinet = new BatteryCabinetModel({ profile: loadTestProfile('cabinet-ref'), seed: 1 });
    const counted: DeviceModel = {
      bank: cabinet.bank,
      tick: (dt) => {
        ticks.push(dt);
        cabinet.tick(dt);
      },
    };
    const sim = await startModbusSimulator({
      port: 0,
      framing: 'mbap',
      tickMs: 10,
      devices: [
        { unitId: 1, model: counted },
        { unitId: 2, model: new WaterDispenserModel({ profile: loadTestProfile('dispenser-ref') }) },
        { unitId: 3, model: new OccupancyModel({ profile: loadTestProfile('occupancy-ref') }) },
      ],
    });
    cleanups.push(() => sim.stop());

    const client = new ModbusClient();
    client.setTimeout(2000);
    await client.connectTCP('127.0.0.1', { port: sim.port });
    cleanups.push(() => new Promise<void>((resolve) => client.close(() => resolve())));
    client.setID(1);
    expect((await client.readHoldingRegisters(2, 1)).data).toEqual([8]);
    client.setID(2);
    expect((await client.readHoldingRegisters(0, 8)).data).toHaveLength(8);
    client.setID(3);
    const [presence, people] = (await client.readHoldingRegisters(0, 4)).data;
    expect(presence).toBe((people ?? 0) > 0 ? 1 : 0);

    for (let i = 0; i < 500 && ticks.length < 3; i++) await sleep(10);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.every((dt) => dt >= 0)).toBe(true);
  });

  it('refuses two devices on one unit id', async () => {
    const model: DeviceModel = { bank: new RegisterBank(), tick: () => undefined };
    await expect(
      startModbusSimulator({ port: 0, framing: 'rtu', devices: [{ unitId: 4, model }, { unitId: 4, model }] }),
    ).rejects.toThrow(/unit id 4/);
  });

  it('stops ticking when stopped', async () => {
    let ticks = 0;
    const sim = await startModbusSimulator({ port: 0, framing: 'rtu', tickMs: 5, devices: [{ unitId: 1, model: { bank: new RegisterBank(), tick: () => void ticks++ } }] });
    for (let i = 0; i < 500 && ticks < 1; i++) await sleep(10);
    await sim.stop();
    const after = ticks;
    await sleep(50);
    expect(ticks).toBe(after);
  });
});
