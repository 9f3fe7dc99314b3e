import { afterEach, describe, expect, it } from 'vitest';
import { ModbusOccupancySensor, ModbusSmokeDetector, ModbusWaterDispenser } from '../../../device-drivers/capabilities/modbus-capabilities.js';
import type { DeviceState, Points } from '../../../device-drivers/device-state.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { smokeCommands } from '../../../simulators/devices/smoke-commands.js';
import type { DeviceModel } from '../../../simulators/modbus/device-model.js';
import { OccupancyModel } from '../../../simulators/modbus/models/occupancy-model.js';
import { SmokeDetectorModel } from '../../../simulators/modbus/models/smoke-detector-model.js';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import { startModbusSimulator } from '../../../simulators/modbus/start-modbus-device-sim.js';
import { startSimulators } from '../../../simulators/simulator-set.js';
import { loadTestProfile } from './load-test-profile.js';

/*
 * Dispensers, occupancy sensors and the smoke detector on their profiles, over real Modbus TCP,
 * read by the real driver and seen through the roles (the capability the station logic uses).
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

async function serve<M extends DeviceModel>(profileName: string, make: (p: ReturnType<typeof loadTestProfile>) => M) {
  const profile = loadTestProfile(profileName);
  const model = make(profile);
  const unitId = profile.defaultUnitId ?? 1;
  const sim = await startModbusSimulator({ host: '127.0.0.1', port: 0, framing: 'mbap', tickMs: 3_600_000, devices: [{ unitId, model }] });
  cleanup.push(() => sim.stop());
  const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
  cleanup.push(() => bus.close());
  const driver = new ModbusProfileDriver({ profile, bus, unitId, timeoutMs: 1000 });
  const state = async (): Promise<DeviceState> => ({ online: true, points: (await driver.read()) as Points, health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } });
  return { profile, model, bus, driver, unitId, state };
}

describe.each(['dispenser-ref', 'dispenser-aqua'])('the dispenser model on %s', (name) => {
  it('reads leak, draws, volume and tank through the roles; enableDispensing closes and opens the valve', async () => {
    const b = await serve(name, (profile) => new WaterDispenserModel({ profile, seed: 3 }));
    const water = new ModbusWaterDispenser(b.profile, b.driver);
    b.model.setTankLevel(60);
    let r = water.reading(await b.state());
    expect(r).toMatchObject({ leak: false, dispensing: false, tankLevel: 60 });
    expect(r.hotTemperature).toBeCloseTo(b.model.snapshot().hotTemp, 1);
    expect(r.valveOpen).toBe(name === 'dispenser-aqua' ? undefined : true);

    b.model.startSession(400);
    b.model.tick(4000);
    r = water.reading(await b.state());
    expect(r.dispensing).toBe(true);
    expect(r.sessionVolume).toBeCloseTo(100, 3);

    await water.setDispensing(false);
    expect(b.model.snapshot()).toMatchObject({ dispensingEnabled: false, session: 'idle' });
    r = water.reading(await b.state());
    expect(r.dispensing).toBe(false);
    expect(r.sessionVolume).toBeCloseTo(100, 3);
    if (name === 'dispenser-ref') expect(r.valveOpen).toBe(false);
    expect(() => b.model.startSession(200)).toThrow(/disabled/);

    await water.setDispensing(true);
    expect(b.model.snapshot().dispensingEnabled).toBe(true);
    b.model.setLeak(true);
    expect(water.reading(await b.state()).leak).toBe(true);
  });
});

describe('dispenser-aqua specifics', () => {
  it('the enable key is 0x55AA in holding 40; any other value is no command', async () => {
    const b = await serve('dispenser-aqua', (profile) => new WaterDispenserModel({ profile, seed: 3 }));
    expect(b.model.bank.getRegisters('holding', 40)).toEqual([0x55aa]);
    await b.bus.transact(b.unitId, 1000, (s) => s.writeRegisters(40, [0]));
    expect(b.model.snapshot().dispensingEnabled).toBe(false);
    await b.bus.transact(b.unitId, 1000, (s) => s.writeRegisters(40, [0x1234]));
    expect(b.model.snapshot().dispensingEnabled).toBe(false);
    await b.bus.transact(b.unitId, 1000, (s) => s.writeRegisters(40, [0x55aa]));
    expect(b.model.snapshot().dispensingEnabled).toBe(true);
    // No readback: nothing but the key register is writable, and no point reports the valve.
    expect(b.model.bank.isMapped('coil', 0)).toBe(false);
  });

  it('the filter is due when its days left read 0', async () => {
    const b = await serve('dispenser-aqua', (profile) => new WaterDispenserModel({ profile, seed: 3 }));
    const water = new ModbusWaterDispenser(b.profile, b.driver);
    b.model.setFilterLife(50);
    expect(water.reading(await b.state()).filterDue).toBe(false);
    b.model.setFilterLife(5);
    expect(water.reading(await b.state()).filterDue).toBe(true);
    expect(b.model.bank.getRegisters('input', 5)).toEqual([0]);
  });
});

describe.each(['occupancy-ref', 'occupancy-pir'])('the occupancy model on %s', (name) => {
  it('reads who is inside and how long they have been still; a sensor fault makes it unusable', async () => {
    const b = await serve(name, (profile) => new OccupancyModel({ profile, seed: 11 }));
    const sensor = new ModbusOccupancySensor(b.profile);
    b.model.setWandering(false);
    b.model.setPeople(0);
    expect(sensor.reading(await b.state())).toMatchObject({ usable: true, people: 0, stillSeconds: 0 });
    b.model.setPeople(2);
    b.model.setStill(true);
    b.model.tick(95_000);
    // A presence-only sensor counts anyone inside as one person.
    expect(sensor.reading(await b.state())).toMatchObject({ usable: true, people: name === 'occupancy-pir' ? 1 : 2, stillSeconds: 95 });
    b.model.setSensorFault(true);
    expect(sensor.reading(await b.state()).usable).toBe(false);
  });
});

describe('occupancy-pir specifics', () => {
  it('stillSeconds goes out in deciseconds and saturates at the register instead of failing', async () => {
    const b = await serve('occupancy-pir', (profile) => new OccupancyModel({ profile, seed: 11 }));
    b.model.setWandering(false);
    b.model.setPeople(1);
    b.model.setStill(true);
    b.model.tick(12_000);
    expect(b.model.bank.getRegisters('input', 0)).toEqual([120]);
    expect(b.model.bank.getBits('discrete', 0)).toEqual([1]);
    b.model.tick(3 * 3_600_000);
    expect(b.model.bank.getRegisters('input', 0)).toEqual([65535]);
    expect(new ModbusOccupancySensor(b.profile).reading(await b.state()).stillSeconds).toBeCloseTo(6553.5, 3);
  });
});

describe('the smoke detector on smoke-ref', () => {
  it('smoke on raises the smoke role, a sensor fault the fault role and no smoke', async () => {
    const b = await serve('smoke-ref', (profile) => new SmokeDetectorModel({ profile, seed: 4 }));
    const detector = new ModbusSmokeDetector(b.profile);
    const commands = smokeCommands(b.model);
    b.model.tick(10_000);
    expect(detector.reading(await b.state())).toEqual({ online: true, smoke: false, fault: false });
    expect(commands.run(['smoke', 'on'])).toBe('smoke on');
    expect(detector.reading(await b.state())).toEqual({ online: true, smoke: true, fault: false });
    b.model.tick(30_000);
    expect(detector.reading(await b.state()).smoke).toBe(true);
    commands.run(['smoke', 'off']);
    b.model.tick(30_000);
    expect(detector.reading(await b.state()).smoke).toBe(false);
    commands.run(['smoke', 'on']);
    expect(commands.run(['sensor', 'fault'])).toBe('sensor fault');
    expect(detector.reading(await b.state())).toEqual({ online: true, smoke: false, fault: true });
  });

  it('a simulator set serves a smoke-detector on the reference profile, at its unit id', async () => {
    const sim = await startSimulators([{ id: 'smoke-1', kind: 'smoke-detector', transport: { type: 'modbus-tcp', port: 0 } }], { tickMs: 3_600_000 });
    cleanup.push(() => sim.stop());
    expect(await sim.command('smoke-1 smoke on')).toBe('smoke on');
    expect(sim.device('smoke-1').address).toMatch(/unit 9$/);
  });

  it('a profile of another kind is refused by name', async () => {
    await expect(
      startSimulators([{ id: 'smoke-1', kind: 'smoke-detector', profile: loadTestProfile('cabinet-ref'), transport: { type: 'modbus-tcp', port: 0 } }]),
    ).rejects.toMatchObject({ code: 'SIM_UNSUPPORTED', message: expect.stringMatching(/cabinet-ref is a battery-cabinet/) });
  });
});
