import { describe, expect, it } from 'vitest';
import { cabinetCommands } from '../../../simulators/devices/cabinet-commands.js';
import { dispenserCommands } from '../../../simulators/devices/dispenser-commands.js';
import { occupancyCommands } from '../../../simulators/devices/occupancy-commands.js';
import { BatteryCabinetModel } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { OccupancyModel } from '../../../simulators/modbus/models/occupancy-model.js';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import { handlePdu } from '../../../simulators/modbus/pdu-handler.js';
import { loadTestProfile } from '../modbus/load-test-profile.js';

/* The domain faults of devices.md, through the control language, read back from the registers. */

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const run = async (c: { run(w: readonly string[]): string | Promise<string> }, line: string): Promise<string> => c.run(line.split(' '));

describe('cabinet domain faults', () => {
  const profile = loadTestProfile('cabinet-ref');

  it('slot over-temperature: fault bit 0, state fault, charging cut; cleared only below 45 °C', async () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const c = cabinetCommands(model);
    const slot = [...Array(8).keys()].find((i) => model.view.getIn('slots', i, 'state') === 'charging') ?? -1;
    // Commands take the door number: slots[i] is door i + 1.
    await run(c, `slot ${slot + 1} temperature 62`);
    model.tick(1000);
    expect(model.view.getIn('slots', slot, 'batteryTemp')).toBe(62);
    expect(model.view.getIn('slots', slot, 'fault')).toMatchObject({ overTemperature: true });
    expect(model.view.getIn('slots', slot, 'state')).toBe('fault');
    expect(model.view.getIn('slots', slot, 'current')).toBe(0);
    await run(c, `slot ${slot + 1} temperature 50`);
    expect(model.view.getIn('slots', slot, 'state')).toBe('fault');
    await run(c, `slot ${slot + 1} temperature auto`);
    model.tick(30 * 60_000);
    expect(model.view.getIn('slots', slot, 'batteryTemp') as number).toBeLessThan(45);
    expect(model.view.getIn('slots', slot, 'fault')).toMatchObject({ overTemperature: false });
    expect(model.view.getIn('slots', slot, 'state')).toBe('charging');
  });

  it('a jammed door stays shut when pulsed; the coil is consumed all the same', async () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    await run(cabinetCommands(model), 'slot 4 door jammed');
    handlePdu(model.bank, hex('05 0003 FF00'));
    expect(model.view.getIn('slots', 3, 'door')).toBe('closed');
    expect(model.bank.getBits('coil', 3)).toEqual([0]);
    await run(cabinetCommands(model), 'slot 4 door free');
    handlePdu(model.bank, hex('05 0003 FF00'));
    expect(model.view.getIn('slots', 3, 'door')).toBe('open');
  });

  it('battery removed and inserted; smoke and mains in the status word', async () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const c = cabinetCommands(model);
    const full = [...Array(8).keys()].find((i) => model.view.getIn('slots', i, 'state') !== 'empty') ?? -1;
    await run(c, `slot ${full + 1} remove`);
    expect(model.view.getIn('slots', full, 'state')).toBe('empty');
    expect(model.view.getIn('slots', full, 'batteryId')).toBe(0);
    await run(c, `slot ${full + 1} insert 20 60`);
    expect(model.view.getIn('slots', full, 'state')).toBe('charging');
    expect(model.view.getIn('slots', full, 'soc')).toBe(20);
    expect(model.view.getIn('slots', full, 'packType')).toBe(60);
    await expect(run(c, `slot ${full + 1} insert`)).rejects.toThrow(new RegExp(`slot ${full + 1} already holds`));
    await run(c, 'smoke on');
    await run(c, 'mains off');
    expect(model.view.get('status')).toMatchObject({ smoke: true, mainsOk: false });
    expect(model.bank.getRegisters('holding', 0)).toEqual([0b0100]);
    await expect(run(c, 'slot 0 remove')).rejects.toThrow(/slot \(door number\) must be an integer 1..8/);
    await expect(run(c, 'slot 9 remove')).rejects.toThrow(/slot \(door number\) must be an integer 1..8/);
    await expect(run(c, 'explode')).rejects.toThrow(/unknown command/);
  });

  it('slot numbers are door numbers: `slot 5` is slots[4], coil 4, and the answers and snapshot say 5', async () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const c = cabinetCommands(model);
    if (model.view.getIn('slots', 4, 'state') === 'empty') await run(c, 'slot 5 insert 50 48');
    expect(await run(c, 'slot 5 temperature 62')).toBe('slot 5 battery at 62 °C');
    model.tick(1000);
    expect(model.view.getIn('slots', 4, 'fault')).toMatchObject({ overTemperature: true });
    for (const i of [3, 5]) expect(model.view.getIn('slots', i, 'batteryTemp')).not.toBe(62);
    expect(await run(c, 'slot 5 door jammed')).toBe('slot 5 door jammed');
    handlePdu(model.bank, hex('05 0004 FF00'));
    expect(model.view.getIn('slots', 4, 'door')).toBe('closed');
    expect(model.snapshot().slots[4]).toMatchObject({ slot: 5, slotIndex: 4, doorJammed: true, temperaturePinned: true });
    expect(model.snapshot().slots.map((s) => s.slot)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a temperature for an empty slot is refused, not answered ok, and changes nothing', async () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const c = cabinetCommands(model);
    const empty = [...Array(8).keys()].find((i) => model.view.getIn('slots', i, 'state') === 'empty') ?? -1;
    expect(empty).toBeGreaterThanOrEqual(0);
    const before = JSON.stringify(model.snapshot());
    await expect(run(c, `slot ${empty + 1} temperature 62`)).rejects.toThrow(new RegExp(`slot ${empty + 1} has no battery`));
    expect(JSON.stringify(model.snapshot())).toBe(before);
    // Releasing a pin is always fine, battery or not.
    await expect(run(c, `slot ${empty + 1} temperature auto`)).resolves.toMatch(/follows the battery again/);
  });
});

describe('dispenser sessions and faults', () => {
  const profile = loadTestProfile('dispenser-ref');

  it('a session counts volume while it runs, ends at the volume asked, and keeps it for the log', async () => {
    const model = new WaterDispenserModel({ profile, seed: 3 });
    const total0 = model.view.get('totalVolume') as number;
    await run(dispenserCommands(model), 'session 500');
    expect(model.view.get('session')).toBe('dispensing');
    model.tick(4000);
    const mid = model.view.get('sessionVolume') as number;
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(500);
    expect(model.view.get('session')).toBe('dispensing');
    model.tick(60_000);
    expect(model.view.get('session')).toBe('idle');
    expect(model.view.get('sessionVolume')).toBe(500);
    expect(model.view.get('totalVolume')).toBe(total0 + 500);
  });

  it('the master turning dispensing off ends the session; turning it on again starts one a moment later', async () => {
    const model = new WaterDispenserModel({ profile, seed: 3 });
    await run(dispenserCommands(model), 'session 900');
    model.tick(2000);
    handlePdu(model.bank, hex('05 0000 0000'));
    expect(model.view.get('session')).toBe('idle');
    await expect(run(dispenserCommands(model), 'session 100')).rejects.toThrow(/disabled/);
    handlePdu(model.bank, hex('05 0000 FF00'));
    model.tick(5000);
    expect(model.view.get('session')).toBe('dispensing');
  });

  it('leak, empty tank and filter due in the status word', async () => {
    const model = new WaterDispenserModel({ profile, seed: 3 });
    const c = dispenserCommands(model);
    await run(c, 'leak on');
    await run(c, 'tank empty');
    await run(c, 'filter due');
    model.tick(60_000);
    expect(model.view.get('status')).toMatchObject({ leak: true, supplyOk: false, filterDue: true });
    expect(model.view.get('tankLevel')).toBe(0);
    await expect(run(c, 'session 200')).rejects.toThrow(/empty/);
    await run(c, 'tank full');
    await run(c, 'leak off');
    expect(model.view.get('status')).toMatchObject({ leak: false, supplyOk: true });
  });
});

describe('occupancy: a person comes in, stops moving, moves again, leaves', () => {
  it('an empty room reads stillSeconds 0, however long it stays empty, from boot on', async () => {
    for (const seed of [1, 2, 3, 11]) {
      const model = new OccupancyModel({ profile: loadTestProfile('occupancy-ref'), seed });
      await run(occupancyCommands(model), 'wander off');
      if (model.snapshot().people === 0) expect(model.view.get('stillSeconds'), `seed ${seed} at boot`).toBe(0);
      await run(occupancyCommands(model), 'people 0');
      model.tick(30 * 60_000);
      expect(model.view.get('presence')).toBe(0);
      expect(model.view.get('stillSeconds'), `seed ${seed}`).toBe(0);
    }
    // The last one out leaves a room that reads 0 too, not the seconds they sat there.
    const model = new OccupancyModel({ profile: loadTestProfile('occupancy-ref'), seed: 11 });
    const c = occupancyCommands(model);
    await run(c, 'wander off');
    await run(c, 'people 0');
    await run(c, 'person enter');
    await run(c, 'person still');
    model.tick(60_000);
    expect(model.view.get('stillSeconds')).toBe(60);
    await run(c, 'person leave');
    model.tick(60_000);
    expect(model.view.get('stillSeconds')).toBe(0);
  });

  it('still seconds count up while the person is still and reset when they move', async () => {
    const model = new OccupancyModel({ profile: loadTestProfile('occupancy-ref'), seed: 11 });
    const c = occupancyCommands(model);
    await run(c, 'wander off');
    await run(c, 'people 0');
    await run(c, 'person enter');
    expect(model.view.get('presence')).toBe(1);
    await run(c, 'person still');
    model.tick(10 * 60_000);
    expect(model.view.get('stillSeconds')).toBe(600);
    expect(model.view.get('people')).toBe(1);
    await run(c, 'person move');
    expect(model.view.get('stillSeconds')).toBe(0);
    await run(c, 'person leave');
    expect(model.view.get('presence')).toBe(0);
    await expect(run(c, 'person still')).rejects.toThrow(/nobody/);
    await run(c, 'sensor fault');
    expect(model.view.get('sensorStatus')).toBe('fault');
  });
});
