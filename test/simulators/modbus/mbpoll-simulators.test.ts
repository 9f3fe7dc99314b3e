import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mbpoll, mbpollValues, type MbpollRun } from '../../helpers/mbpoll.js';
import type { DeviceKind } from '../../../config/device-kinds.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import type { SimulatedDevice } from '../../../simulators/devices/simulated-device.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * mbpoll (libmodbus) reads and writes the reference registers of every Modbus simulator, over
 * Modbus TCP and as an RTU master on the pty the simulator made, and sees each wire fault the way
 * a real master would.
 */


const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Transport = 'tcp' | 'pty';

async function simulate(kind: DeviceKind, transport: Transport): Promise<{ sim: StationSimulator; device: SimulatedDevice }> {
  const dir = tempDir('mbpoll-sim-');
  cleanups.push(() => dir.remove());
  const sim = await startSimulators(
    [{ id: 'dev-1', kind, unitId: 1, transport: transport === 'tcp' ? { type: 'modbus-tcp', port: 0 } : { type: 'modbus-rtu', endpoint: { type: 'pty', path: join(dir.path, 'ttyDEV') } } }],
    { seed: 9 },
  );
  cleanups.push(() => sim.stop());
  return { sim, device: sim.device('dev-1') };
}

/** mbpoll arguments for one transaction against `device`, unit 1, PDU addresses. */
function master(device: SimulatedDevice, args: string[], writes: string[] = [], timeoutS = '2'): string[] {
  const e = device.endpoint;
  const common = ['-1', '-0', '-a', '1', '-o', timeoutS, ...args];
  if (e.transport === 'modbus-tcp') return ['-m', 'tcp', '-p', String(e.port), ...common, e.host, ...writes];
  if (e.transport === 'modbus-rtu') return ['-m', 'rtu', '-b', '9600', '-P', 'none', ...common, e.path, ...writes];
  throw new Error(`unexpected ${e.transport}`);
}

const holding = (device: SimulatedDevice, address: number, count = 1): Promise<MbpollRun> => mbpoll(master(device, ['-r', String(address), '-c', String(count), '-t', '4']));

describe.each(['tcp', 'pty'] as const)('mbpoll over %s', (transport) => {
  it('cabinet: reads the cabinet block and a slot, cuts a slot\'s charging by coil', async () => {
    const { device } = await simulate('battery-cabinet', transport);
    const block = await holding(device, 0, 4);
    expect(block.code, block.stderr).toBe(0);
    const cabinet = mbpollValues(block.stdout);
    expect(cabinet.get(2)).toBe(8);
    expect(cabinet.get(0)).toBe(1);
    const slots = device.state()['slots'] as Array<{ slotIndex: number; state: string; soc: number }>;
    const charging = slots.find((s) => s.state === 'charging');
    if (!charging) throw new Error('no charging slot');
    const slot = await holding(device, 100 + 10 * charging.slotIndex, 10);
    expect(slot.code, slot.stderr).toBe(0);
    expect(mbpollValues(slot.stdout).get(100 + 10 * charging.slotIndex)).toBe(1);
    expect(mbpollValues(slot.stdout).get(102 + 10 * charging.slotIndex)).toBe(charging.soc);
    const cut = await mbpoll(master(device, ['-r', String(100 + charging.slotIndex), '-t', '0'], ['0']));
    expect(cut.code, cut.stderr).toBe(0);
    expect((device.state()['slots'] as Array<{ state: string }>)[charging.slotIndex]?.state).toBe('disabled');
  });

  it('dispenser: reads the status block, writes maxSessionVolume and turns dispensing off', async () => {
    const { device } = await simulate('water-dispenser', transport);
    const block = await holding(device, 0, 8);
    expect(block.code, block.stderr).toBe(0);
    const v = mbpollValues(block.stdout);
    expect((v.get(0) ?? 0) & 1).toBe(1);
    expect(v.get(6)).toBe(0);
    const write = await mbpoll(master(device, ['-r', '20', '-t', '4'], ['1500']));
    expect(write.code, write.stderr).toBe(0);
    expect(mbpollValues((await holding(device, 20)).stdout).get(20)).toBe(1500);
    const off = await mbpoll(master(device, ['-r', '0', '-t', '0'], ['0']));
    expect(off.code, off.stderr).toBe(0);
    expect(device.state()['dispensingEnabled']).toBe(false);
  });

  it('occupancy: reads presence, people, stillSeconds and status; refuses a write', async () => {
    const { device } = await simulate('occupancy', transport);
    await device.command('people 2');
    const block = await holding(device, 0, 4);
    expect(block.code, block.stderr).toBe(0);
    expect([...mbpollValues(block.stdout).entries()].slice(0, 2)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    const write = await mbpoll(master(device, ['-r', '1', '-t', '4'], ['0']));
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Illegal data address/i);
  });

  it('sees the wire faults: no answer, a late answer, an exception', async () => {
    const { device } = await simulate('occupancy', transport);
    await device.command('fault silent on');
    const silent = await mbpoll(master(device, ['-r', '0', '-t', '4'], [], '0.3'));
    expect(silent.code).not.toBe(0);
    expect(silent.stderr).toMatch(/timed out/i);
    await device.command('fault clear');
    await device.command('fault delay 1200');
    const late = await mbpoll(master(device, ['-r', '0', '-t', '4'], [], '0.3'));
    expect(late.stderr).toMatch(/timed out/i);
    await device.command('fault delay off');
    await device.command('fault exception 4');
    const failure = await mbpoll(master(device, ['-r', '0', '-t', '4']));
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toMatch(/Slave device or server failure/i);
  });
});

describe('mbpoll as an RTU master on the pty', () => {
  it('sees a bad CRC as a bad CRC', async () => {
    const { device } = await simulate('water-dispenser', 'pty');
    await device.command('fault corrupt on');
    const run = await mbpoll(master(device, ['-r', '0', '-t', '4']));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Invalid CRC/i);
  });
});
