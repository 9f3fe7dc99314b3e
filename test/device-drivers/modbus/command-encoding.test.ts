import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema, type PointSpec, type Profile } from '../../../config/profile-schema.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { commandTarget } from '../../../config/command-target.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { HELD_PULSE_MS, ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { decodePoint } from '../../../device-drivers/modbus/register-codec.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { startModbusTcpServer } from '../../../simulators/modbus/modbus-tcp-server.js';
import { RegisterBank, type MasterWrite } from '../../../simulators/modbus/register-bank.js';

/*
 * Every command type and shape, written by the real driver over a real Modbus TCP socket to the
 * project's own server, and read back from the unit's bank through the read codec: what a
 * command writes must be what a read of the same spec gives back.
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

interface Bench {
  driver: ModbusProfileDriver;
  /** A second device on the same bus (unit 2). */
  neighbour: ModbusProfileDriver;
  bank: RegisterBank;
  profile: Profile;
  /** Every write a master made to unit 1, in order, with when it landed. */
  writes: Array<MasterWrite & { at: number }>;
}

function cabinetProfile(fields: Record<string, unknown>): Profile {
  return profileSchema.parse({
    id: 'cmd-test',
    kind: 'battery-cabinet',
    vendor: 'Test',
    model: 'T-1',
    points: { firmware: { address: 900 } },
    groups: { slots: { count: 8, base: 1000, stride: 10, points: { soc: { address: 0 } } } },
    ...fields,
  });
}

async function bench(fields: Record<string, unknown>): Promise<Bench> {
  const profile = cabinetProfile(fields);
  const bank = new RegisterBank();
  bank.map('holding', 0, 2000, { writable: true });
  bank.map('coil', 0, 2000, { writable: true });
  const other = new RegisterBank();
  other.map('holding', 900, 1);
  const writes: Bench['writes'] = [];
  bank.onMasterWrite((w) => writes.push({ ...w, values: [...w.values], at: Date.now() }));
  const server = await startModbusTcpServer({ port: 0, framing: 'mbap', units: new Map([[1, bank], [2, other]]) });
  cleanup.push(() => server.stop());
  const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: server.port }, silentLogger());
  cleanup.push(() => bus.close());
  const driver = new ModbusProfileDriver({ profile, bus, unitId: 1, timeoutMs: 2000 });
  const neighbour = new ModbusProfileDriver({ profile: cabinetProfile({ groups: {} }), bus, unitId: 2, timeoutMs: 2000 });
  return { driver, neighbour, bank, profile, writes };
}

/** The command's value as the read codec decodes the bank's words at `address`. */
function readBack(b: Bench, command: string, address: number): unknown {
  const target = commandTarget(b.profile, command);
  if (!target) throw new Error(`no command ${command}`);
  if (target.table === 'coil') return b.bank.getBits('coil', address, 1)[0] === 1;
  return decodePoint(target.spec, b.bank.getRegisters('holding', address, target.width), b.profile);
}

describe('command encoding over Modbus TCP, read back through the read codec', () => {
  it('writes every register type through its codec, 32-bit values as two registers in one FC16', async () => {
    const b = await bench({
      commands: {
        setI16: { table: 'holding', address: 10, type: 'int16' },
        setU16: { table: 'holding', address: 11, type: 'uint16' },
        setI32: { table: 'holding', address: 20, type: 'int32' },
        setU32: { table: 'holding', address: 22, type: 'uint32' },
        setF32: { table: 'holding', address: 24, type: 'float32' },
        setTenths: { table: 'holding', address: 12, type: 'int16', scale: 0.1 },
      },
    });
    await b.driver.command('setI16', -1234);
    await b.driver.command('setU16', 65535);
    await b.driver.command('setI32', -70000);
    await b.driver.command('setU32', 70000);
    await b.driver.command('setF32', -2.5);
    await b.driver.command('setTenths', -12.3);

    expect(readBack(b, 'setI16', 10)).toBe(-1234);
    expect(readBack(b, 'setU16', 11)).toBe(65535);
    expect(readBack(b, 'setI32', 20)).toBe(-70000);
    // The case: 70000 read back as 292552704 when only its low word reached the high register.
    expect(readBack(b, 'setU32', 22)).toBe(70000);
    expect(b.bank.getRegisters('holding', 22, 2)).toEqual([0x0001, 0x1170]);
    expect(readBack(b, 'setF32', 24)).toBe(-2.5);
    expect(b.bank.getRegisters('holding', 24, 2)).toEqual([0xc020, 0x0000]);
    expect(b.bank.getRegisters('holding', 12, 1)).toEqual([0x10000 - 123]);
    expect(readBack(b, 'setTenths', 12)).toBe(-12.3);
    // Both words of a 32-bit value land in one write, never as two that a device could see half of.
    expect(b.writes.map((w) => [w.address, w.values.length])).toEqual([
      [10, 1],
      [11, 1],
      [20, 2],
      [22, 2],
      [24, 2],
      [12, 1],
    ]);
  });

  it('writes 32-bit values in the profile word order, and in a command\'s own word and byte order', async () => {
    const b = await bench({
      wordOrder: 'little',
      commands: {
        setU32: { table: 'holding', address: 30, type: 'uint32' },
        setF32: { table: 'holding', address: 32, type: 'float32' },
        setBigWords: { table: 'holding', address: 34, type: 'uint32', wordOrder: 'big' },
        setSwapped: { table: 'holding', address: 36, type: 'uint32', wordOrder: 'big', byteOrder: 'little' },
        setSwapped16: { table: 'holding', address: 38, type: 'uint16', byteOrder: 'little' },
      },
    });
    await b.driver.command('setU32', 70000);
    await b.driver.command('setF32', 90.125);
    await b.driver.command('setBigWords', 70000);
    await b.driver.command('setSwapped', 70000);
    await b.driver.command('setSwapped16', 0x1234);

    expect(b.bank.getRegisters('holding', 30, 2)).toEqual([0x1170, 0x0001]);
    expect(readBack(b, 'setU32', 30)).toBe(70000);
    expect(b.bank.getRegisters('holding', 32, 2)).toEqual([0x4000, 0x42b4]);
    expect(readBack(b, 'setF32', 32)).toBe(90.125);
    expect(b.bank.getRegisters('holding', 34, 2)).toEqual([0x0001, 0x1170]);
    expect(b.bank.getRegisters('holding', 36, 2)).toEqual([0x0100, 0x7011]);
    expect(readBack(b, 'setSwapped', 36)).toBe(70000);
    expect(b.bank.getRegisters('holding', 38, 1)).toEqual([0x3412]);
    expect(readBack(b, 'setSwapped16', 38)).toBe(0x1234);
  });

  it('writes a coil per instance at address + stride × index, and registers per instance with a stride', async () => {
    const b = await bench({
      commands: {
        setCharging: { table: 'coil', address: 100, group: 'slots' },
        setLimit: { table: 'holding', address: 200, group: 'slots', stride: 10, type: 'uint32' },
        setLevel: { table: 'holding', address: 300, group: 'slots', type: 'uint32' },
      },
    });
    await b.driver.command('setCharging', true, 3);
    await b.driver.command('setCharging', true, 5);
    await b.driver.command('setCharging', false, 5);
    await b.driver.command('setLimit', 70000, 3);
    await b.driver.command('setLevel', 1, 0);
    await b.driver.command('setLevel', 2, 1);

    expect(b.bank.getBits('coil', 100, 8)).toEqual([0, 0, 0, 1, 0, 0, 0, 0]);
    expect(b.writes.slice(0, 3).map((w) => [w.table, w.address, w.values[0]])).toEqual([
      ['coil', 103, 1],
      ['coil', 105, 1],
      ['coil', 105, 0],
    ]);
    expect(readBack(b, 'setLimit', 230)).toBe(70000);
    expect(b.bank.getRegisters('holding', 200, 2)).toEqual([0, 0]);
    // The default stride is the value's width: two 32-bit instances side by side, not overlapping.
    expect(readBack(b, 'setLevel', 300)).toBe(1);
    expect(readBack(b, 'setLevel', 302)).toBe(2);
  });

  it('writes the slot number, 1-based or 0-based or as an expression, to one register for every door', async () => {
    const b = await bench({
      commands: {
        openOneBased: { table: 'holding', address: 400, value: 'slot' },
        openZeroBased: { table: 'holding', address: 401, value: 'index' },
        openOffset: { table: 'holding', address: 402, value: '0x100 + slot' },
        openWide: { table: 'holding', address: 404, type: 'uint32', value: 'slot * 65536 + value' },
      },
    });
    await b.driver.command('openOneBased', true, 4);
    await b.driver.command('openZeroBased', true, 4);
    await b.driver.command('openOffset', true, 4);
    await b.driver.command('openWide', 7, 2);

    expect(b.bank.getRegisters('holding', 400, 3)).toEqual([5, 4, 0x105]);
    expect(readBack(b, 'openWide', 404)).toBe(3 * 65536 + 7);
    // One register for every door: the instance changes the value, never the address.
    expect(b.writes.map((w) => w.address)).toEqual([400, 401, 402, 404]);
  });

  it('writes 1/0 for a caller\'s bool into a register, value != 0 for a numeric expression into a coil, and fixed values as given', async () => {
    const b = await bench({
      commands: {
        setMode: { table: 'holding', address: 500, type: 'uint16' },
        setFloatFlag: { table: 'holding', address: 502, type: 'float32' },
        oddCoil: { table: 'coil', address: 510, group: 'slots', value: 'index % 2' },
        fixed: { table: 'holding', address: 520, type: 'int16', value: -7 },
      },
    });
    await b.driver.command('setMode', true);
    await b.driver.command('setFloatFlag', true);
    expect(readBack(b, 'setMode', 500)).toBe(1);
    expect(readBack(b, 'setFloatFlag', 502)).toBe(1);
    await b.driver.command('setMode', false);
    expect(readBack(b, 'setMode', 500)).toBe(0);

    b.bank.setBits('coil', 510, [1, 0, 1, 0]);
    for (let i = 0; i < 4; i++) await b.driver.command('oddCoil', true, i);
    expect(b.bank.getBits('coil', 510, 4)).toEqual([0, 1, 0, 1]);

    await b.driver.command('fixed', 99);
    expect(readBack(b, 'fixed', 520)).toBe(-7);
  });

  it('writes through a writable point with its type, scale and orders, and reads it back through the driver', async () => {
    const b = await bench({
      points: {
        firmware: { address: 900 },
        chargeLimit: { address: 40, type: 'int32', scale: 0.01, wordOrder: 'little', writable: true },
        fanOn: { table: 'coil', address: 41, type: 'bool', writable: true },
      },
      commands: { setChargeLimit: { point: 'chargeLimit' }, setFan: { point: 'fanOn' } },
    });
    await b.driver.command('setChargeLimit', -123.45);
    await b.driver.command('setFan', true);
    // -12345 = 0xffffcfc7, low word first as the point says.
    expect(b.bank.getRegisters('holding', 40, 2)).toEqual([0xcfc7, 0xffff]);
    const points = await b.driver.read();
    expect(points['chargeLimit']).toBe(-123.45);
    expect(points['fanOn']).toBe(true);
  });

  it('pulses: writes the value, waits pulseMs, writes the release (default 0 / false), all in one bus transaction', async () => {
    const b = await bench({
      commands: {
        openDoor: { table: 'holding', address: 600, value: 'slot', pulseMs: 150 },
        strike: { table: 'coil', address: 610, group: 'slots', pulseMs: 100, value: true },
        hold: { table: 'holding', address: 620, value: 'slot', pulseMs: 100, release: 'slot + 100' },
      },
    });
    const order: string[] = [];
    b.bank.onMasterWrite((w) => order.push(`${w.address}=${w.values.join(',')}`));
    const pulse = b.driver.command('openDoor', true, 2);
    // Queued behind the pulse on the same bus: held for the pulse, it runs after the release.
    await new Promise((r) => setTimeout(r, 20));
    const neighbourRead = b.neighbour.read().then(() => order.push('neighbour read'));
    await Promise.all([pulse, neighbourRead]);
    expect(order).toEqual(['600=3', '600=0', 'neighbour read']);
    const [on, off] = b.writes;
    expect((off?.at ?? 0) - (on?.at ?? 0)).toBeGreaterThanOrEqual(140);

    await b.driver.command('strike', true, 6);
    expect(b.writes.slice(2).map((w) => [w.table, w.address, w.values[0]])).toEqual([
      ['coil', 616, 1],
      ['coil', 616, 0],
    ]);
    await b.driver.command('hold', true, 0);
    expect(b.writes.slice(4).map((w) => [w.address, w.values[0]])).toEqual([
      [620, 1],
      [620, 101],
    ]);
  });

  it(`lets neighbours use the bus during a pulse longer than ${HELD_PULSE_MS} ms, but holds commands on the same register until its release`, async () => {
    const b = await bench({ commands: { openDoor: { table: 'holding', address: 700, value: 'slot', pulseMs: HELD_PULSE_MS + 200 } } });
    const order: string[] = [];
    b.bank.onMasterWrite((w) => order.push(`${w.address}=${w.values.join(',')}`));
    const first = b.driver.command('openDoor', true, 0);
    await new Promise((r) => setTimeout(r, 50));
    const second = b.driver.command('openDoor', true, 4);
    const neighbourRead = b.neighbour.read().then(() => order.push('neighbour read'));
    await Promise.all([first, second, neighbourRead]);
    // Slot 5's pulse does not start inside slot 1's, where slot 1's release would cut it short.
    expect(order).toEqual(['700=1', 'neighbour read', '700=0', '700=5', '700=0']);
  });
});

describe('values a command cannot encode', () => {
  const refusals: Array<[string, Record<string, unknown>, boolean | number, RegExp]> = [
    ['70000 into a uint16', { table: 'holding', address: 10, type: 'uint16' }, 70000, /"cmd".*70000.*uint16/],
    ['a negative into a uint32', { table: 'holding', address: 10, type: 'uint32' }, -1, /"cmd".*-1.*uint32/],
    ['a negative into a uint16', { table: 'holding', address: 10, type: 'uint16' }, -5, /"cmd".*-5.*uint16/],
    ['a fractional raw into an int16', { table: 'holding', address: 10, type: 'int16' }, 1.5, /"cmd".*1\.5.*int16.*whole number/],
    ['a fractional raw into an int32 with scale', { table: 'holding', address: 10, type: 'int32', scale: 0.1 }, 1.25, /"cmd".*1\.25.*int32/],
    ['past an int16 after scale', { table: 'holding', address: 10, type: 'int16', scale: 0.1 }, 3276.8, /"cmd".*3276\.8.*int16/],
    ['past 32 bits', { table: 'holding', address: 10, type: 'uint32' }, 2 ** 32, /"cmd".*4294967296.*uint32/],
    ['NaN into a float32', { table: 'holding', address: 10, type: 'float32' }, Number.NaN, /"cmd".*NaN.*float32/],
    ['past float32 range', { table: 'holding', address: 10, type: 'float32' }, 1e39, /"cmd".*1e\+39.*float32/],
    ['NaN into a coil', { table: 'coil', address: 10 }, Number.NaN, /"cmd".*NaN.*coil/],
    ['an expression past uint16', { table: 'holding', address: 10, value: 'slot * 10000' }, true, /"cmd".*70000.*uint16/],
    ['a release that does not fit (nothing of the pulse is written)', { table: 'holding', address: 10, pulseMs: 50, release: 70000 }, 1, /"cmd".*release 70000.*uint16/],
  ];
  for (const [what, command, value, message] of refusals) {
    it(`refuses ${what} with ENCODING and writes nothing`, async () => {
      const b = await bench({ commands: { cmd: command, other: { table: 'holding', address: 50 } } });
      const err = await b.driver.command('cmd', value, 6).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as DeviceError).code).toBe('ENCODING');
      expect((err as DeviceError).message).toMatch(message);
      expect(b.writes).toEqual([]);
      // The bus is fine afterwards: the refusal happened before it, not on it.
      await b.driver.command('other', 1);
      expect(b.writes.map((w) => w.address)).toEqual([50]);
    });
  }

  it('refuses a grouped command without an instance or past the group, and one that needs a value without it', async () => {
    const b = await bench({
      commands: {
        setCharging: { table: 'coil', address: 100, group: 'slots' },
        openDoor: { table: 'holding', address: 400, value: 'slot' },
        setLimit: { table: 'holding', address: 410 },
      },
    });
    for (const call of [() => b.driver.command('setCharging', true), () => b.driver.command('setCharging', true, 64), () => b.driver.command('setCharging', true, -1), () => b.driver.command('openDoor', true), () => b.driver.command('setLimit')]) {
      await expect(call()).rejects.toMatchObject({ code: 'ENCODING' });
    }
    expect(b.writes).toEqual([]);
  });

  it('keeps refusing a non-writable point at load', () => {
    expect(() => cabinetProfile({ points: { firmware: { address: 900 } }, commands: { setFirmware: { point: 'firmware' } } })).toThrow(/not writable/);
  });
});

// A point spec as the codec reads it, for the property below.
const spec = (type: PointSpec['type'], scale = 1): PointSpec => ({ table: 'holding', address: 0, type, scale, writable: true });

describe('the read codec inverts what a command writes', () => {
  it('round-trips every integer type at its limits in all four orders', async () => {
    const b = await bench({
      commands: {
        i16: { table: 'holding', address: 10, type: 'int16' },
        u16: { table: 'holding', address: 11, type: 'uint16' },
        i32: { table: 'holding', address: 12, type: 'int32' },
        u32: { table: 'holding', address: 14, type: 'uint32' },
      },
    });
    const limits: Array<[string, number, PointSpec['type'], number[]]> = [
      ['i16', 10, 'int16', [-32768, 32767]],
      ['u16', 11, 'uint16', [0, 65535]],
      ['i32', 12, 'int32', [-2147483648, 2147483647]],
      ['u32', 14, 'uint32', [0, 4294967295]],
    ];
    for (const [name, address, type, values] of limits) {
      for (const v of values) {
        await b.driver.command(name, v);
        const width = type.endsWith('32') ? 2 : 1;
        expect(decodePoint(spec(type), b.bank.getRegisters('holding', address, width), b.profile)).toBe(v);
      }
    }
  });
});
