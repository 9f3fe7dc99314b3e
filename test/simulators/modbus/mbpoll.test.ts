import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { mbpoll, mbpollValues, type MbpollRun } from '../../helpers/mbpoll.js';
import { startModbusTcpServer, type ModbusFraming } from '../../../simulators/modbus/modbus-tcp-server.js';
import { BatteryCabinetModel, SlotState } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import type { RegisterBank } from '../../../simulators/modbus/register-bank.js';
import { loadTestProfile } from './load-test-profile.js';

/*
 * A real Modbus master (mbpoll, built on libmodbus) against the simulator: if it cannot tell the
 * simulator from hardware, neither can the gateway.
 */

const SOCAT = '/usr/bin/socat';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBench(framing: ModbusFraming = 'mbap'): Promise<{ port: number; cabinet: BatteryCabinetModel; dispenser: WaterDispenserModel }> {
  const cabinet = new BatteryCabinetModel({ profile: loadTestProfile('cabinet-ref'), seed: 7 });
  const dispenser = new WaterDispenserModel({ profile: loadTestProfile('dispenser-ref'), seed: 7 });
  const units = new Map<number, RegisterBank>([
    [1, cabinet.bank],
    [2, dispenser.bank],
  ]);
  const server = await startModbusTcpServer({ port: 0, units, framing });
  cleanups.push(() => server.stop());
  return { port: server.port, cabinet, dispenser };
}

const tcp = (port: number, ...args: string[]): string[] => ['-m', 'tcp', '-1', '-o', '2', '-p', String(port), ...args];

describe('mbpoll against the TCP simulator', () => {
  it('reads the cabinet block with 1-based references (mbpoll default)', async () => {
    const { port, cabinet } = await startBench();
    const run = await mbpoll(tcp(port, '-a', '1', '-r', '1', '-c', '4', '-t', '4', '127.0.0.1'));
    expect(run.code, run.stderr).toBe(0);
    const expected = cabinet.bank.getRegisters('holding', 0, 4);
    expect(mbpollValues(run.stdout)).toEqual(new Map(expected.map((v, i) => [i + 1, v])));
    expect(expected[2]).toBe(8);
  });

  it('reads a slot block with PDU addressing (-0)', async () => {
    const { port, cabinet } = await startBench();
    const run = await mbpoll(tcp(port, '-a', '1', '-0', '-r', '100', '-c', '10', '-t', '4', '127.0.0.1'));
    expect(run.code, run.stderr).toBe(0);
    const expected = cabinet.bank.getRegisters('holding', 100, 10);
    expect(mbpollValues(run.stdout)).toEqual(new Map(expected.map((v, i) => [100 + i, v])));
  });

  it('reads a battery id as a 32-bit integer, high word first', async () => {
    const { port, cabinet } = await startBench();
    const slot = [...Array(8).keys()].find((i) => cabinet.slotState(i) !== SlotState.empty) ?? 0;
    const address = 100 + 10 * slot + 7;
    const run = await mbpoll(tcp(port, '-a', '1', '-0', '-r', String(address), '-t', '4:int', '-B', '127.0.0.1'));
    expect(run.code, run.stderr).toBe(0);
    const id = cabinet.view.getIn('slots', slot, 'batteryId') as number;
    expect(id).toBeGreaterThan(0);
    // mbpoll prints a signed 32-bit integer.
    expect(mbpollValues(run.stdout).get(address)).toBe(id | 0);
  });

  it('writes a door coil: the door opens and the cabinet clears the coil', async () => {
    const { port, cabinet } = await startBench();
    const run = await mbpoll(tcp(port, '-a', '1', '-0', '-r', '3', '-t', '0', '127.0.0.1', '1'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Written 1 references/);
    expect(cabinet.view.getIn('slots', 3, 'door')).toBe('open');
    expect(cabinet.bank.getBits('coil', 3)).toEqual([0]);
    const back = await mbpoll(tcp(port, '-a', '1', '-0', '-r', '0', '-c', '8', '-t', '0', '127.0.0.1'));
    expect([...mbpollValues(back.stdout).values()]).toEqual(Array(8).fill(0));
  });

  it('writes a holding register the profile marks writable', async () => {
    const { port, dispenser } = await startBench();
    const run = await mbpoll(tcp(port, '-a', '2', '-0', '-r', '20', '-t', '4', '127.0.0.1', '1500'));
    expect(run.code, run.stderr).toBe(0);
    expect(dispenser.bank.getRegisters('holding', 20)).toEqual([1500]);
    expect(dispenser.view.get('maxSessionVolume')).toBe(1500);
  });

  it('sees the exceptions a device gives', async () => {
    const { port } = await startBench();
    const unmapped = await mbpoll(tcp(port, '-a', '1', '-0', '-r', '50', '-t', '4', '127.0.0.1'));
    expect(unmapped.code).not.toBe(0);
    expect(unmapped.stderr).toMatch(/Illegal data address/i);
    const readOnly = await mbpoll(tcp(port, '-a', '1', '-0', '-r', '2', '-t', '4', '127.0.0.1', '12'));
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toMatch(/Illegal data address/i);
    const absent = await mbpoll(tcp(port, '-a', '9', '-0', '-r', '0', '-t', '4', '127.0.0.1'));
    expect(absent.code).not.toBe(0);
    expect(absent.stderr).toMatch(/Target device failed to respond/i);
  });
});

describe('mbpoll in RTU mode through a pty bridged to the RTU-over-TCP simulator', () => {
  /** socat plays the RS-485-to-Ethernet converter: a serial port on one side, raw bytes over TCP on the other. */
  async function serialBridge(port: number): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'modbus-sim-'));
    const link = join(dir, 'ttyRTU');
    const socat = spawn(SOCAT, [`pty,link=${link},raw,echo=0`, `tcp:127.0.0.1:${port}`], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
    cleanups.push(async () => {
      socat.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    });
    for (let i = 0; i < 250 && !existsSync(link); i++) await sleep(20);
    if (!existsSync(link)) throw new Error('socat did not create the pty');
    return link;
  }

  /** The device comes before any values to write, as mbpoll wants. */
  const rtu = (tty: string, args: string[], writes: string[] = []): string[] => ['-m', 'rtu', '-b', '9600', '-P', 'none', '-1', ...args, tty, ...writes];

  it('reads holding registers and writes a charging coil', async () => {
    const { port, cabinet } = await startBench('rtu');
    const tty = await serialBridge(port);
    const read = await mbpoll(rtu(tty, ['-o', '2', '-a', '1', '-0', '-r', '0', '-c', '4', '-t', '4']));
    expect(read.code, read.stderr).toBe(0);
    expect([...mbpollValues(read.stdout).values()]).toEqual(cabinet.bank.getRegisters('holding', 0, 4));
    const slot = [...Array(8).keys()].find((i) => cabinet.slotState(i) === SlotState.charging) ?? 0;
    const write = await mbpoll(rtu(tty, ['-o', '2', '-a', '1', '-0', '-r', String(100 + slot), '-t', '0'], ['0']));
    expect(write.code, write.stderr).toBe(0);
    expect(cabinet.view.getIn('slots', slot, 'state')).toBe('disabled');
  });

  it('gets no answer from an absent unit (a timeout, as on a real line)', async () => {
    const { port } = await startBench('rtu');
    const tty = await serialBridge(port);
    const run = await mbpoll(rtu(tty, ['-o', '0.3', '-a', '9', '-0', '-r', '0', '-t', '4']));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/timed out/i);
  });
});
