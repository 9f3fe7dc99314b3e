import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../config/load-profile.js';
import { builtinProfilesDir } from '../../../config/package-root.js';
import type { Profile } from '../../../config/profile-schema.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { BatteryCabinetModel } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { OccupancyModel } from '../../../simulators/modbus/models/occupancy-model.js';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import { startModbusSimulator } from '../../../simulators/modbus/start-modbus-device-sim.js';

function profile(name: string): Profile {
  const { profile: p, problems } = loadProfileFile(join(builtinProfilesDir(), `${name}.yaml`));
  if (!p) throw new Error(problems.map((x) => x.message).join('; '));
  return p;
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

describe('ModbusProfileDriver against the simulator over real TCP', () => {
  it('reads the reference cabinet end to end, every slot, in two transactions', async () => {
    const model = new BatteryCabinetModel({ profile: profile('cabinet-ref'), slots: 8, seed: 7 });
    const sim = await startModbusSimulator({ host: '127.0.0.1', port: 0, framing: 'mbap', devices: [{ unitId: 1, model }] });
    cleanup.push(() => sim.stop());
    const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
    cleanup.push(() => bus.close());
    const driver = new ModbusProfileDriver({ profile: profile('cabinet-ref'), bus, unitId: 1, timeoutMs: 1000 });

    const points = await driver.read();
    expect(driver.transactionsPerPoll()).toBe(2);
    expect(points['slotCount']).toBe(8);
    expect(points['status']).toMatchObject({ mainsOk: true, smoke: false });
    const slots = points['slots'] as Array<Record<string, unknown>>;
    expect(slots).toHaveLength(8);
    for (const slot of slots) {
      expect(['empty', 'charging', 'ready', 'fault', 'disabled']).toContain(slot['state']);
      expect(['open', 'closed']).toContain(slot['door']);
      expect(slot['soc']).toBeGreaterThanOrEqual(0);
      expect(slot['soc']).toBeLessThanOrEqual(100);
    }
    // What the simulator holds is what the driver decoded, through the same profile.
    const charging = slots.filter((s) => s['state'] === 'charging');
    expect(charging.length).toBeGreaterThan(0);
    for (const s of charging) expect(s['current']).toBeGreaterThan(0);
  });

  it('shares one RTU-over-TCP bus between the dispenser and the occupancy sensor', async () => {
    const water = new WaterDispenserModel({ profile: profile('dispenser-ref'), seed: 1 });
    const occupancy = new OccupancyModel({ profile: profile('occupancy-ref'), seed: 2 });
    const sim = await startModbusSimulator({
      host: '127.0.0.1',
      port: 0,
      framing: 'rtu',
      devices: [
        { unitId: 2, model: water },
        { unitId: 3, model: occupancy },
      ],
    });
    cleanup.push(() => sim.stop());
    const bus = new ModbusBus({ type: 'modbus-rtu-over-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
    cleanup.push(() => bus.close());
    const w = new ModbusProfileDriver({ profile: profile('dispenser-ref'), bus, unitId: 2, timeoutMs: 1000 });
    const o = new ModbusProfileDriver({ profile: profile('occupancy-ref'), bus, unitId: 3, timeoutMs: 1000 });

    // Issued together: the bus queue must run them one at a time or replies would cross.
    const [wp, op] = await Promise.all([w.read(), o.read(), w.read(), o.read()]);
    expect(wp?.['session']).toBe('idle');
    expect(wp?.['status']).toMatchObject({ supplyOk: true, leak: false });
    expect(typeof wp?.['totalVolume']).toBe('number');
    expect(wp?.['dispensingEnabled']).toBe(true);
    expect(op?.['sensorStatus']).toBe('ok');
    expect(typeof op?.['people']).toBe('number');
  });

  it('writes a profile command the simulator acts on', async () => {
    const model = new WaterDispenserModel({ profile: profile('dispenser-ref'), seed: 1 });
    const sim = await startModbusSimulator({ host: '127.0.0.1', port: 0, framing: 'mbap', devices: [{ unitId: 2, model }] });
    cleanup.push(() => sim.stop());
    const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
    cleanup.push(() => bus.close());
    const driver = new ModbusProfileDriver({ profile: profile('dispenser-ref'), bus, unitId: 2, timeoutMs: 1000 });
    await driver.command('enableDispensing', false);
    await driver.command('setMaxSessionVolume', 750);
    const points = await driver.read();
    expect(points['dispensingEnabled']).toBe(false);
    expect(points['maxSessionVolume']).toBe(750);
  });

  it('reports a device that is not there as DISCONNECTED, and an absent unit as a typed error', async () => {
    const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: 1 }, silentLogger());
    cleanup.push(() => bus.close());
    const driver = new ModbusProfileDriver({ profile: profile('occupancy-ref'), bus, unitId: 3, timeoutMs: 300 });
    await expect(driver.read()).rejects.toMatchObject({ code: 'DISCONNECTED' });

    const model = new OccupancyModel({ profile: profile('occupancy-ref'), seed: 2 });
    const sim = await startModbusSimulator({ host: '127.0.0.1', port: 0, framing: 'mbap', devices: [{ unitId: 3, model }] });
    cleanup.push(() => sim.stop());
    const bus2 = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
    cleanup.push(() => bus2.close());
    const wrongUnit = new ModbusProfileDriver({ profile: profile('occupancy-ref'), bus: bus2, unitId: 9, timeoutMs: 300 });
    const err = await wrongUnit.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(['EXCEPTION', 'TIMEOUT']).toContain((err as DeviceError).code);
  });
});
