import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMbapFrame } from '../../../simulators/modbus/mbap-frame.js';
import { startModbusTcpServer, type ModbusFraming, type ModbusTcpServer } from '../../../simulators/modbus/modbus-tcp-server.js';
import { BatteryCabinetModel } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import type { RegisterBank } from '../../../simulators/modbus/register-bank.js';
import { encodeRtuFrame } from '../../../simulators/modbus/rtu-frame.js';
import { loadTestProfile } from './load-test-profile.js';
import { openRawClient, type RawClient } from './raw-client.js';

// modbus-serial is CommonJS with a `default` that points back at itself; NodeNext types see it only there.
const ModbusClient = ModbusRTU.default;
type ModbusClient = InstanceType<typeof ModbusClient>;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Bench {
  server: ModbusTcpServer;
  cabinet: BatteryCabinetModel;
  dispenser: WaterDispenserModel;
}

async function startBench(framing: ModbusFraming): Promise<Bench> {
  const cabinet = new BatteryCabinetModel({ profile: loadTestProfile('cabinet-ref'), seed: 7 });
  const dispenser = new WaterDispenserModel({ profile: loadTestProfile('dispenser-ref'), seed: 7 });
  const units = new Map<number, RegisterBank>([
    [1, cabinet.bank],
    [2, dispenser.bank],
  ]);
  const server = await startModbusTcpServer({ port: 0, units, framing });
  cleanups.push(() => server.stop());
  return { server, cabinet, dispenser };
}

async function connectClient(port: number, framing: ModbusFraming, timeoutMs = 2000): Promise<ModbusClient> {
  const client = new ModbusClient();
  // modbus-serial never times out by default (PITFALLS): a lost answer would hang the test.
  client.setTimeout(timeoutMs);
  if (framing === 'mbap') await client.connectTCP('127.0.0.1', { port });
  else await client.connectTelnet('127.0.0.1', { port });
  cleanups.push(() => new Promise<void>((resolve) => client.close(() => resolve())));
  return client;
}

async function rawClient(port: number): Promise<RawClient> {
  const raw = await openRawClient(port);
  cleanups.push(() => raw.close());
  return raw;
}

describe.each(['mbap', 'rtu'] as const)('modbus-serial master, %s framing', (framing) => {
  it('reads the cabinet block and every slot as the bank holds them', async () => {
    const { server, cabinet } = await startBench(framing);
    const client = await connectClient(server.port, framing);
    client.setID(1);
    expect((await client.readHoldingRegisters(0, 4)).data).toEqual(cabinet.bank.getRegisters('holding', 0, 4));
    expect((await client.readHoldingRegisters(100, 80)).data).toEqual(cabinet.bank.getRegisters('holding', 100, 80));
    expect((await client.readCoils(100, 8)).data.slice(0, 8)).toEqual(Array(8).fill(true));
  });

  it('writes a door coil and a register that the devices act on', async () => {
    const { server, cabinet, dispenser } = await startBench(framing);
    const client = await connectClient(server.port, framing);
    client.setID(1);
    await client.writeCoil(2, true);
    expect(cabinet.view.getIn('slots', 2, 'door')).toBe('open');
    expect((await client.readCoils(0, 8)).data.slice(0, 8)).toEqual(Array(8).fill(false));
    client.setID(2);
    await client.writeRegisters(20, [750]);
    expect(dispenser.view.get('maxSessionVolume')).toBe(750);
    await client.writeCoils(0, [false, true]);
    expect([dispenser.view.get('dispensingEnabled'), dispenser.view.get('hotWaterLock')]).toEqual([false, true]);
  });

  it('answers an unmapped address with exception 02', async () => {
    const { server } = await startBench(framing);
    const client = await connectClient(server.port, framing);
    client.setID(1);
    await expect(client.readHoldingRegisters(4, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readHoldingRegisters(170, 11)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.writeRegister(0, 1)).rejects.toMatchObject({ modbusCode: 2 });
    // The connection stays usable after an exception.
    expect((await client.readHoldingRegisters(2, 1)).data).toEqual([8]);
  });
});

describe('Modbus TCP (mbap) framing', () => {
  it('answers an unknown unit with exception 0x0B, as a gateway does', async () => {
    const { server } = await startBench('mbap');
    const client = await connectClient(server.port, 'mbap');
    client.setID(9);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 0x0b });
  });

  it('answers several requests sent in one chunk, in order', async () => {
    const { server } = await startBench('mbap');
    const raw = await rawClient(server.port);
    raw.send(
      Buffer.concat([
        encodeMbapFrame({ transactionId: 0x0101, unitId: 1, pdu: hex('03 0002 0001') }),
        encodeMbapFrame({ transactionId: 0x0102, unitId: 2, pdu: hex('03 0014 0001') }),
        encodeMbapFrame({ transactionId: 0x0103, unitId: 1, pdu: hex('03 0004 0001') }),
      ]),
    );
    expect(await raw.receive(11)).toEqual(hex('0101 0000 0005 01 03 02 0008'));
    expect(await raw.receive(11)).toEqual(hex('0102 0000 0005 02 03 02 03E8'));
    expect(await raw.receive(9)).toEqual(hex('0103 0000 0003 01 83 02'));
  });

  it('reassembles a request split across chunks', async () => {
    const { server } = await startBench('mbap');
    const raw = await rawClient(server.port);
    const request = encodeMbapFrame({ transactionId: 7, unitId: 1, pdu: hex('03 0002 0001') });
    for (const part of [request.subarray(0, 3), request.subarray(3, 8), request.subarray(8)]) {
      raw.send(part);
      await new Promise<void>((resolve) => raw.socket.write(Buffer.alloc(0), () => resolve()));
    }
    expect(await raw.receive(11)).toEqual(hex('0007 0000 0005 01 03 02 0008'));
  });

  it('closes a connection that does not speak Modbus TCP', async () => {
    const { server } = await startBench('mbap');
    const raw = await rawClient(server.port);
    raw.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await raw.closed;
  });
});

describe('RTU over TCP framing', () => {
  const readSlotCount = encodeRtuFrame(1, hex('03 0002 0001'));
  const slotCountAnswer = encodeRtuFrame(1, hex('03 02 0008'));

  it('does not answer a bad CRC, a frame for an absent unit, or a broadcast', async () => {
    const { server, cabinet, dispenser } = await startBench('rtu');
    const raw = await rawClient(server.port);
    const badCrc = Buffer.from(readSlotCount);
    badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] ?? 0) ^ 0x01;
    raw.send(Buffer.concat([badCrc, encodeRtuFrame(9, hex('03 0000 0001')), encodeRtuFrame(0, hex('0F 0000 0002 01 03')), readSlotCount]));
    // Answers come in request order, so the first bytes back are the answer to the last request.
    expect(await raw.receive(slotCountAnswer.length)).toEqual(slotCountAnswer);
    raw.send(readSlotCount);
    expect(await raw.receive(slotCountAnswer.length)).toEqual(slotCountAnswer);
    // The broadcast write was carried out by every unit.
    expect([cabinet.view.getIn('slots', 0, 'door'), cabinet.view.getIn('slots', 1, 'door')]).toEqual(['open', 'open']);
    expect(dispenser.view.get('hotWaterLock')).toBe(true);
  });

  it('times out a modbus-serial master that asks an absent unit', async () => {
    const { server } = await startBench('rtu');
    const client = await connectClient(server.port, 'rtu', 300);
    client.setID(9);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
  });

  it('reassembles a request split across chunks', async () => {
    const { server } = await startBench('rtu');
    const raw = await rawClient(server.port);
    raw.send(readSlotCount.subarray(0, 3));
    await new Promise<void>((resolve) => raw.socket.write(Buffer.alloc(0), () => resolve()));
    raw.send(readSlotCount.subarray(3));
    expect(await raw.receive(slotCountAnswer.length)).toEqual(slotCountAnswer);
  });
});

describe('stop()', () => {
  it('closes open connections and the listener', async () => {
    const { server } = await startBench('mbap');
    const raw = await openRawClient(server.port);
    await server.stop();
    await raw.closed;
    await expect(openRawClient(server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
