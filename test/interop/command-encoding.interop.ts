import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileSchema, type Profile } from '../../config/profile-schema.js';
import { ModbusBus } from '../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { mbpoll, mbpollValues } from '../helpers/mbpoll.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The driver's command writes against a Modbus server we did not write (pymodbus, Debian's
 * python3-pymodbus with python3-serial and python3-serial-asyncio), read back by pymodbus's own
 * client and decoded by its BinaryPayloadDecoder in the profile's byte and word order: our
 * 32-bit and float encoding agrees with a third party's, not only with our own decoder. mbpoll
 * (libmodbus) confirms the addresses.
 */

// pymodbus 3.0's server: one unit (1), 1000 holding registers and coils, PDU addressing (zero_mode),
// on a port the OS picks; it prints that port as its first line.
const SERVER = `
import asyncio, json
from pymodbus.server.async_io import ModbusTcpServer
from pymodbus.datastore import ModbusSlaveContext, ModbusServerContext, ModbusSequentialDataBlock
async def main():
    unit = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [0] * 1000), co=ModbusSequentialDataBlock(0, [False] * 1000), zero_mode=True)
    server = ModbusTcpServer(ModbusServerContext(slaves={1: unit}, single=False), address=("127.0.0.1", 0))
    task = asyncio.ensure_future(server.serve_forever())
    await server.serving
    print(json.dumps({"port": server.server.sockets[0].getsockname()[1]}), flush=True)
    await task
asyncio.run(main())
`;

// argv: port address kind(coil|int16|uint16|int32|uint32|float32) byteorder wordorder
const READER = `
import json, sys
from pymodbus.client import ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadDecoder
port, address, kind, byteorder, wordorder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
client = ModbusTcpClient("127.0.0.1", port=port)
client.connect()
if kind == "coil":
    r = client.read_coils(address, 1, slave=1)
    print(json.dumps({"bit": bool(r.bits[0])}))
else:
    r = client.read_holding_registers(address, 2 if kind.endswith("32") else 1, slave=1)
    order = lambda o: Endian.Big if o == "big" else Endian.Little
    d = BinaryPayloadDecoder.fromRegisters(r.registers, byteorder=order(byteorder), wordorder=order(wordorder))
    decode = {"int16": d.decode_16bit_int, "uint16": d.decode_16bit_uint, "int32": d.decode_32bit_int, "uint32": d.decode_32bit_uint, "float32": d.decode_32bit_float}[kind]
    print(json.dumps({"registers": r.registers, "value": decode()}))
client.close()
`;

/** The first python3 that has pymodbus: pyenv's shim may shadow Debian's, where apt installs it. */
function pythonWithPymodbus(): string {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import pymodbus.server, pymodbus.client'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next
    }
  }
  throw new Error('no python3 with pymodbus: apt-get install python3-pymodbus python3-serial python3-serial-asyncio');
}

interface Readback {
  registers?: number[];
  value?: number;
  bit?: boolean;
}

let python: string;
let server: ChildProcess;
let port: number;
let bus: ModbusBus;

function read(address: number, kind: string, byteOrder = 'big', wordOrder = 'big'): Promise<Readback> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', READER, String(port), String(address), kind, byteOrder, wordOrder], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pymodbus reader failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as Readback);
    });
  });
}

function driverFor(fields: Record<string, unknown>): { driver: ModbusProfileDriver; profile: Profile } {
  const profile = profileSchema.parse({
    id: 'interop',
    kind: 'battery-cabinet',
    vendor: 'Interop',
    model: 'I-1',
    points: {},
    groups: { slots: { count: 8, base: 0, stride: 1, points: {} } },
    ...fields,
  });
  return { profile, driver: new ModbusProfileDriver({ profile, bus, unitId: 1, timeoutMs: 3000 }) };
}

beforeAll(async () => {
  python = pythonWithPymodbus();
  server = spawn(python, ['-c', SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  server.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  port = await waitFor(() => {
    if (server.exitCode !== null) throw new Error(`pymodbus server exited ${server.exitCode}: ${out}`);
    const m = /\{"port": (\d+)\}/.exec(out);
    return m ? Number(m[1]) : undefined;
  }, 20_000, 'the pymodbus server to listen');
  bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port }, silentLogger());
});

afterAll(async () => {
  await bus?.close();
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

describe('command encoding against pymodbus', () => {
  it('writes 32-bit integers as pymodbus decodes them, high word first by default', async () => {
    const { driver } = driverFor({
      commands: {
        setU32: { table: 'holding', address: 10, type: 'uint32' },
        setI32: { table: 'holding', address: 12, type: 'int32' },
        setI16: { table: 'holding', address: 14, type: 'int16' },
      },
    });
    await driver.command('setU32', 70000);
    await driver.command('setI32', -70000);
    await driver.command('setI16', -1234);
    expect(await read(10, 'uint32')).toEqual({ registers: [1, 4464], value: 70000 });
    expect(await read(12, 'int32')).toEqual({ registers: [0xfffe, 0xee90], value: -70000 });
    expect((await read(14, 'int16')).value).toBe(-1234);
  });

  it('writes floats and 32-bit values in the profile\'s word order and a command\'s byte order', async () => {
    const { driver } = driverFor({
      wordOrder: 'little',
      commands: {
        setF32: { table: 'holding', address: 20, type: 'float32' },
        setU32: { table: 'holding', address: 22, type: 'uint32' },
        setSwapped: { table: 'holding', address: 24, type: 'float32', byteOrder: 'little', wordOrder: 'big' },
        setScaled: { table: 'holding', address: 26, type: 'int32', scale: 0.01 },
      },
    });
    await driver.command('setF32', 90.125);
    await driver.command('setU32', 70000);
    await driver.command('setSwapped', -2.5);
    await driver.command('setScaled', -123.45);
    expect(await read(20, 'float32', 'big', 'little')).toEqual({ registers: [0x4000, 0x42b4], value: 90.125 });
    expect((await read(22, 'uint32', 'big', 'little')).value).toBe(70000);
    expect(await read(24, 'float32', 'little', 'big')).toEqual({ registers: [0x20c0, 0x0000], value: -2.5 });
    expect((await read(26, 'int32', 'big', 'little')).value).toBe(-12345);
  });

  it('writes a coil per slot and the slot number to one register, at the addresses mbpoll reads', async () => {
    const { driver } = driverFor({
      commands: {
        setCharging: { table: 'coil', address: 100, group: 'slots' },
        openSlotDoor: { table: 'holding', address: 300, value: '0x100 + slot' },
      },
    });
    await driver.command('setCharging', true, 5);
    await driver.command('openSlotDoor', true, 2);
    expect(await read(105, 'coil')).toEqual({ bit: true });
    expect(await read(104, 'coil')).toEqual({ bit: false });
    expect((await read(300, 'uint16')).value).toBe(0x103);

    const coils = await mbpoll(['-m', 'tcp', '-a', '1', '-0', '-1', '-o', '2', '-p', String(port), '-t', '0', '-r', '104', '-c', '3', '127.0.0.1']);
    expect(coils.code, coils.stderr).toBe(0);
    expect(mbpollValues(coils.stdout)).toEqual(new Map([[104, 0], [105, 1], [106, 0]]));
    const register = await mbpoll(['-m', 'tcp', '-a', '1', '-0', '-1', '-o', '2', '-p', String(port), '-t', '4', '-r', '300', '-c', '1', '127.0.0.1']);
    expect(register.code, register.stderr).toBe(0);
    expect(mbpollValues(register.stdout)).toEqual(new Map([[300, 0x103]]));
  });

  it('refuses what does not fit, leaving pymodbus\'s registers as they were', async () => {
    const { driver } = driverFor({ commands: { setU16: { table: 'holding', address: 40, type: 'uint16' } } });
    await driver.command('setU16', 4242);
    await expect(driver.command('setU16', 70000)).rejects.toMatchObject({ code: 'ENCODING' });
    expect((await read(40, 'uint16')).value).toBe(4242);
  });
});
