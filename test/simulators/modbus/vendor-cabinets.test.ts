import { afterEach, describe, expect, it } from 'vitest';
import type { CabinetReading } from '../../../device-drivers/capabilities/capabilities.js';
import { ModbusBatteryCabinet } from '../../../device-drivers/capabilities/modbus-capabilities.js';
import type { DeviceState } from '../../../device-drivers/device-state.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { cabinetCommands } from '../../../simulators/devices/cabinet-commands.js';
import { BatteryCabinetModel, SlotState } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { startModbusSimulator } from '../../../simulators/modbus/start-modbus-device-sim.js';
import { parseScenario } from '../../../simulators/scenario/scenario.js';
import { startSimulators } from '../../../simulators/simulator-set.js';
import { loadTestProfile } from './load-test-profile.js';

/*
 * Each cabinet profile served by the one cabinet model over real Modbus TCP, read by the real
 * ModbusProfileDriver and seen through the profile's role bindings (the capability the station
 * logic uses): the model's canonical states, doors, temperatures and ids come out of every
 * vendor's map as they went in, and every command shape opens the slot meant and no other.
 */

const CABINETS = ['cabinet-ref', 'cabinet-alt', 'cabinet-volta', 'cabinet-hexa'] as const;
const STATE_NAMES = Object.fromEntries(Object.entries(SlotState).map(([name, code]) => [code, name]));
const HELD_CLOCK_MS = 3_600_000;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

interface Bench {
  model: BatteryCabinetModel;
  bus: ModbusBus;
  cabinet: ModbusBatteryCabinet;
  read(): Promise<CabinetReading>;
}

async function serve(profileName: string, slots = 8): Promise<Bench> {
  const profile = loadTestProfile(profileName);
  const model = new BatteryCabinetModel({ profile, slots, seed: 11 });
  const unitId = profile.defaultUnitId ?? 1;
  // The model's clock is held still: only the test moves it, so what is read is what was set.
  const sim = await startModbusSimulator({ host: '127.0.0.1', port: 0, framing: 'mbap', tickMs: HELD_CLOCK_MS, devices: [{ unitId, model }] });
  cleanup.push(() => sim.stop());
  const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
  cleanup.push(() => bus.close());
  const driver = new ModbusProfileDriver({ profile, bus, unitId, timeoutMs: 1000 });
  const cabinet = new ModbusBatteryCabinet(profile, driver);
  const read = async (): Promise<CabinetReading> => {
    const state: DeviceState = { online: true, points: await driver.read(), health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } };
    return cabinet.reading(state);
  };
  return { model, bus, cabinet, read };
}

const indices = (model: BatteryCabinetModel): number[] => Array.from({ length: model.slotCount }, (_, i) => i);
const doorsOpen = (model: BatteryCabinetModel): number[] => model.snapshot().slots.filter((s) => s.door === 'open').map((s) => s.slot);
const closeAll = (model: BatteryCabinetModel): void => indices(model).forEach((i) => model.holdDoor(i, false));

describe.each(CABINETS)('the cabinet model on %s, read through its roles', (name) => {
  it('reports every slot in canonical terms: states, charge, hottest sensor, ids, pack types', async () => {
    const bench = await serve(name);
    const { model } = bench;
    if (model.snapshot().slots[2]?.state !== 'empty') model.removeBattery(2);
    model.insertBattery(2, { soc: 37, packType: 60, id: 0x12345678 });
    const hot = indices(model).find((k) => k !== 2 && model.slotState(k) !== SlotState.empty) ?? -1;
    model.setSlotTemperature(hot, 61.5);
    const reading = await bench.read();
    const snapshot = model.snapshot();
    expect(reading.slots).toHaveLength(8);
    for (const i of indices(model)) {
      const slot = reading.slots[i]!;
      const want = snapshot.slots[i]!;
      expect(slot.state, `slot ${i + 1} state`).toBe(STATE_NAMES[model.slotState(i)]);
      expect(slot.hasBattery, `slot ${i + 1} battery`).toBe(want.state !== 'empty');
      expect(slot.charge).toBeCloseTo(want.soc, 5);
      if (want.state !== 'empty') expect(slot.batteryTemperature).toBeCloseTo(want.batteryTemp, 1);
      expect(slot.batteryId).toBe(want.batteryId === 0 ? undefined : String(want.batteryId));
      expect(slot.packType).toBe(want.packType === 0 ? undefined : `${want.packType}V`);
    }
    expect(reading.slots[2]).toMatchObject({ state: 'charging', charge: 37, batteryId: String(0x12345678), packType: '60V' });
    expect(reading.slots[hot]).toMatchObject({ state: 'fault', overTemperature: true, batteryTemperature: 61.5 });
    expect(reading.slots[hot]?.faults.length).toBeGreaterThan(0);
    expect(reading.slots.map((s) => s.state)).toEqual(expect.arrayContaining(['empty', 'charging', 'ready']));
    expect(reading.cabinetTemperature).toBeDefined();
    expect(Math.abs((reading.cabinetTemperature ?? 0) - snapshot.cabinetTemp)).toBeLessThanOrEqual(0.26);
  });

  it('cabinet flags follow the model through each vendor\'s bits, codes and inversions', async () => {
    const bench = await serve(name);
    expect(await bench.read()).toMatchObject({ smoke: false, mainsOk: true, fanFault: false });
    bench.model.setFlag('smoke', true);
    bench.model.setFlag('mainsOk', false);
    bench.model.setFlag('fanFault', true);
    expect(await bench.read()).toMatchObject({ smoke: true, mainsOk: false, fanFault: true });
    bench.model.setFlag('smoke', false);
    bench.model.setFlag('mainsOk', true);
    expect(await bench.read()).toMatchObject({ smoke: false, mainsOk: true, fanFault: true });
  });

  it('openSlotDoor of slot N opens door N and no other, whatever the command shape', async () => {
    const bench = await serve(name);
    for (const index of [0, 3, 7]) {
      closeAll(bench.model);
      await bench.cabinet.openSlotDoor(index);
      expect(doorsOpen(bench.model), `opening slot ${index + 1}`).toEqual([index + 1]);
      const reading = await bench.read();
      if (bench.cabinet.parts.doorSensor) expect(reading.slots.map((s) => s.doorOpen)).toEqual(indices(bench.model).map((i) => i === index));
      else expect(reading.slots.every((s) => s.doorOpen === undefined)).toBe(true);
    }
  });

  it('a slot\'s battery temperature rising fast reads as a fast rise, then over-temperature at 60 °C', async () => {
    const bench = await serve(name);
    const i = indices(bench.model).find((k) => bench.model.slotState(k) === SlotState.charging) ?? -1;
    const start = (await bench.read()).slots[i]!.batteryTemperature!;
    bench.model.setSlotHeating(i, 6);
    bench.model.tick(60_000);
    const after1 = (await bench.read()).slots[i]!.batteryTemperature!;
    expect(after1 - start).toBeGreaterThan(5.5);
    expect(after1 - start).toBeLessThan(6.5);
    bench.model.tick(10 * 60_000);
    const hot = (await bench.read()).slots[i]!;
    expect(hot.batteryTemperature).toBeGreaterThan(60);
    expect(hot).toMatchObject({ state: 'fault', overTemperature: true });
  });
});

describe('per-slot charging switches', () => {
  it.each(['cabinet-ref', 'cabinet-alt', 'cabinet-volta'])('%s: setCharging cuts and restores the one slot asked', async (name) => {
    const bench = await serve(name);
    const charging = indices(bench.model).filter((k) => bench.model.slotState(k) === SlotState.charging);
    const [i] = charging;
    expect(i).toBeDefined();
    await bench.cabinet.setCharging(i!, false);
    const cut = await bench.read();
    expect(cut.slots[i!]?.state).toBe('disabled');
    for (const other of charging.slice(1)) expect(cut.slots[other]?.state).toBe('charging');
    expect(bench.model.snapshot().slots.filter((s) => !s.chargingEnabled).map((s) => s.slotIndex)).toEqual([i]);
    await bench.cabinet.setCharging(i!, true);
    expect((await bench.read()).slots[i!]?.state).toBe('charging');
  });

  it('cabinet-volta: the switch is a uint32 low word first at 2100 + 2·i, read back as the cabinet holds it', async () => {
    const bench = await serve('cabinet-volta');
    expect(bench.model.bank.getRegisters('holding', 2100, 16)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    await bench.cabinet.setCharging(3, false);
    expect(bench.model.bank.getRegisters('holding', 2106, 2)).toEqual([0, 0]);
    expect(bench.model.snapshot().slots.map((s) => s.chargingEnabled)).toEqual([true, true, true, false, true, true, true, true]);
  });
});

describe('cabinet-volta: one register takes the slot number; no door sensors', () => {
  it('value N written to register 2000 opens slot N only; 0 and numbers past the slots open nothing', async () => {
    const bench = await serve('cabinet-volta');
    for (let n = 1; n <= 8; n++) {
      closeAll(bench.model);
      await bench.bus.transact(1, 1000, (s) => s.writeRegisters(2000, [n]));
      expect(doorsOpen(bench.model), `value ${n}`).toEqual([n]);
      // The cabinet consumes the command: the register reads 0 again.
      expect(bench.model.bank.getRegisters('holding', 2000)).toEqual([0]);
    }
    closeAll(bench.model);
    for (const v of [0, 9, 0x0100]) await bench.bus.transact(1, 1000, (s) => s.writeRegisters(2000, [v]));
    expect(doorsOpen(bench.model)).toEqual([]);
  });

  it('a rider\'s battery still goes in and out: presence and id tell it, no door point exists', async () => {
    const bench = await serve('cabinet-volta');
    const empty = indices(bench.model).find((k) => bench.model.slotState(k) === SlotState.empty) ?? -1;
    expect(bench.cabinet.parts).toMatchObject({ doorSensor: false, chargingSwitch: true, batteryIds: true });
    expect(bench.model.bank.isMapped('discrete', 0, 1)).toBe(false);
    await bench.cabinet.openSlotDoor(empty);
    expect(bench.model.snapshot().slots[empty]?.door).toBe('open');
    expect((await bench.read()).slots[empty]).toMatchObject({ state: 'empty', hasBattery: false, doorOpen: undefined, batteryId: undefined });
    bench.model.insertBattery(empty, { soc: 20, packType: 48, id: 777 });
    expect((await bench.read()).slots[empty]).toMatchObject({ state: 'charging', hasBattery: true, batteryId: '777', packType: '48V', doorOpen: undefined });
    bench.model.removeBattery(empty);
    expect((await bench.read()).slots[empty]).toMatchObject({ state: 'empty', hasBattery: false, batteryId: undefined });
  });

  it('reports the GB 43854-2024 figures and the hottest of three sensors', async () => {
    const bench = await serve('cabinet-volta');
    const full = indices(bench.model).find((k) => bench.model.slotState(k) !== SlotState.empty) ?? -1;
    bench.model.setSlotTemperature(full, 41);
    const slot = (await bench.read()).slots[full]!;
    expect(slot.batteryTemperature).toBeCloseTo(41, 3);
    expect(slot.stateOfHealth).toBeGreaterThanOrEqual(80);
    expect(slot.stateOfHealth).toBeLessThanOrEqual(100);
    expect(slot.cycleCount).toBeGreaterThanOrEqual(0);
    expect(slot.cellVoltageSpread).toBeGreaterThanOrEqual(5);
    // The second and third sensors read a little cooler than the first, as real packs' do.
    const words = bench.model.bank.getRegisters('input', 1000 + 32 * full + 7, 6);
    const floats = [0, 2, 4].map((o) => {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(words[o + 1]!, 0);
      b.writeUInt16BE(words[o]!, 2);
      return b.readFloatBE(0);
    });
    expect(floats[0]).toBeCloseTo(41, 3);
    expect(floats[1]!).toBeLessThan(41);
    expect(floats[2]!).toBeLessThan(floats[1]!);
    // The reference cabinet binds none of them: they read as absent, never as 0.
    const ref = await (await serve('cabinet-ref')).read();
    expect(ref.slots.every((s) => s.stateOfHealth === undefined && s.cycleCount === undefined)).toBe(true);
  });

  it('the vendor\'s own state codes are on the wire: 10 empty, 11 charging, 12 full, 90 fault, 5 disabled', async () => {
    const bench = await serve('cabinet-volta');
    const code = (i: number): number => bench.model.bank.getRegisters('input', 1000 + 32 * i, 1)[0]!;
    const byState = (s: number): number => indices(bench.model).find((k) => bench.model.slotState(k) === s) ?? -1;
    expect(code(byState(SlotState.empty))).toBe(10);
    expect(code(byState(SlotState.charging))).toBe(11);
    expect(code(byState(SlotState.ready))).toBe(12);
    const c = byState(SlotState.charging);
    await bench.cabinet.setCharging(c, false);
    expect(code(c)).toBe(5);
    bench.model.setSlotTemperature(c, 65);
    expect(code(c)).toBe(90);
  });
});

describe('cabinet-hexa: pulsed coils, no per-slot switch, a whole-cabinet charger', () => {
  it('the 500 ms pulse opens the slot; its release opens nothing and leaves the coil off', async () => {
    const bench = await serve('cabinet-hexa');
    const started = Date.now();
    await bench.cabinet.openSlotDoor(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(doorsOpen(bench.model)).toEqual([5]);
    expect(bench.model.bank.getBits('coil', 300, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // A bare release (coil off) is no door command.
    closeAll(bench.model);
    await bench.bus.transact(7, 1000, (s) => s.writeCoil(302, false));
    expect(doorsOpen(bench.model)).toEqual([]);
  });

  it('lacks charging switches: none is mapped, setCharging is refused unwritten, setCabinetCharging cuts them all', async () => {
    const bench = await serve('cabinet-hexa');
    expect(bench.cabinet.parts).toMatchObject({ chargingSwitch: false, cabinetChargingCut: true, doorSensor: true });
    await expect(bench.cabinet.setCharging(0, false)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const charging = indices(bench.model).filter((k) => bench.model.slotState(k) === SlotState.charging);
    expect(charging.length).toBeGreaterThan(1);
    expect(bench.model.bank.getBits('coil', 50)).toEqual([1]);
    await bench.cabinet.setCabinetCharging(false);
    const cut = await bench.read();
    for (const k of charging) expect(cut.slots[k]?.state).toBe('disabled');
    bench.model.tick(60_000);
    expect(bench.model.snapshot().slots.filter((s) => charging.includes(s.slotIndex)).every((s) => s.chargingEnabled)).toBe(true);
    await bench.cabinet.setCabinetCharging(true);
    const back = await bench.read();
    for (const k of charging) expect(back.slots[k]?.state).toBe('charging');
  });

  it('the door sensor is a discrete "closed" input, read inverted; a jammed door stays shut', async () => {
    const bench = await serve('cabinet-hexa');
    expect(bench.model.bank.getBits('discrete', 200 + 20 * 2)).toEqual([1]);
    bench.model.setDoorJammed(2, true);
    await bench.cabinet.openSlotDoor(2);
    expect((await bench.read()).slots[2]?.doorOpen).toBe(false);
    bench.model.holdDoor(2, true);
    expect(bench.model.bank.getBits('discrete', 200 + 20 * 2)).toEqual([0]);
    expect((await bench.read()).slots[2]?.doorOpen).toBe(true);
  });

  it('a fault the vendor names (cellFault) can be raised by crew command and reads as a fault', async () => {
    const bench = await serve('cabinet-hexa');
    const commands = cabinetCommands(bench.model);
    const full = indices(bench.model).find((k) => bench.model.slotState(k) === SlotState.ready) ?? -1;
    expect(commands.run(['slot', String(full + 1), 'fault', 'cellFault', 'on'])).toContain('on');
    expect((await bench.read()).slots[full]).toMatchObject({ state: 'fault', faults: ['cellFault'] });
  });
});

describe('crew commands in canonical terms on any vendor', () => {
  it('slot N heat RATE to LIMIT ramps the pack and holds it; heat off hands it back to physics', async () => {
    const bench = await serve('cabinet-hexa');
    const commands = cabinetCommands(bench.model);
    const i = indices(bench.model).find((k) => bench.model.slotState(k) === SlotState.charging) ?? -1;
    expect(commands.run(['slot', String(i + 1), 'heat', '10', 'to', '55'])).toBe(`slot ${i + 1} heating at 10 °C/min to 55 °C`);
    bench.model.tick(10 * 60_000);
    expect((await bench.read()).slots[i]).toMatchObject({ batteryTemperature: 55, state: 'charging' });
    expect(bench.model.snapshot().slots[i]?.heatRate).toBe(10);
    commands.run(['slot', String(i + 1), 'heat', 'off']);
    bench.model.tick(30 * 60_000);
    expect((await bench.read()).slots[i]!.batteryTemperature!).toBeLessThan(45);
    expect(() => commands.run(['slot', String(i + 1), 'heat', 'fast'])).toThrow(/heating rate/);
  });
});

describe('a simulator set with a vendor profile', () => {
  it('serves cabinet-volta at its unit; a scenario heats a slot fast, as the rate-of-rise cut needs', async () => {
    const profile = loadTestProfile('cabinet-volta');
    const sim = await startSimulators([{ id: 'cabinet-1', kind: 'battery-cabinet', profile, slots: 4, transport: { type: 'modbus-tcp', port: 0 } }], { tickMs: 100 });
    cleanup.push(() => sim.stop());
    const endpoint = sim.device('cabinet-1').endpoint;
    expect(endpoint).toMatchObject({ transport: 'modbus-tcp', unitId: 1 });
    const port = (endpoint as { port: number }).port;
    const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port }, silentLogger());
    cleanup.push(() => bus.close());
    const driver = new ModbusProfileDriver({ profile, bus, unitId: 1, timeoutMs: 1000 });
    const cabinet = new ModbusBatteryCabinet(profile, driver);
    const read = async (): Promise<CabinetReading> =>
      cabinet.reading({ online: true, points: await driver.read(), health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } });
    const before = await read();
    const slot = before.slots.find((s) => s.hasBattery && s.state !== 'fault');
    expect(slot).toBeDefined();
    const outcomes: string[] = [];
    const run = sim.play(parseScenario(`- at: 0s\n  do: cabinet-1 slot ${slot!.slot} heat 600 to 59\n`), { onStep: (o) => outcomes.push(`${o.ok ? 'ok' : 'error'}: ${o.result}`) });
    await run.done;
    expect(outcomes).toEqual([`ok: slot ${slot!.slot} heating at 600 °C/min to 59 °C`]);
    // 600 °C a minute is 10 °C a second: the ramp reaches its limit within seconds of real time.
    let t = 0;
    for (let i = 0; i < 100 && t < 58.99; i++) {
      await new Promise((r) => setTimeout(r, 100));
      t = (await read()).slots[slot!.index]!.batteryTemperature!;
    }
    const after = (await read()).slots[slot!.index]!;
    expect(after.batteryTemperature).toBeCloseTo(59, 3);
    expect(after.overTemperature).toBe(false);
  });
});
