import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc16 } from '../../../simulators/modbus/crc16.js';
import { encodeRtuFrame, decodeRtuFrame } from '../../../simulators/modbus/rtu-frame.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { openSerialPeer, type SerialPeer } from '../serial-peer.js';

/*
 * Modbus RTU slaves on a pty, seen from the master's end of the line as raw bytes: what a real
 * RS-485 master would get, byte for byte, including silence.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const readHolding = (unit: number, address: number, count: number): Buffer => encodeRtuFrame(unit, Buffer.from([3, address >> 8, address & 0xff, count >> 8, count & 0xff]));
/** Long enough that an answer, if any, would have come (the simulator answers in well under 50 ms). */
const QUIET_MS = 400;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bus(options: { baudTiming?: boolean } = {}): Promise<{ sim: StationSimulator; peer: SerialPeer; path: string }> {
  const dir = tempDir('rtu-slave-');
  cleanups.push(() => dir.remove());
  const path = join(dir.path, 'ttyRS485');
  const endpoint = { type: 'pty' as const, path };
  const sim = await startSimulators(
    [
      { id: 'water-1', kind: 'water-dispenser', unitId: 2, transport: { type: 'modbus-rtu', endpoint } },
      { id: 'occupancy-1', kind: 'occupancy', unitId: 3, transport: { type: 'modbus-rtu', endpoint } },
    ],
    { seed: 5, baudTiming: options.baudTiming ? { responseDelayMs: 20 } : undefined },
  );
  cleanups.push(() => sim.stop());
  const peer = await openSerialPeer(path);
  cleanups.push(() => peer.close());
  return { sim, peer, path };
}

describe('Modbus RTU slaves on a pty (one simulated RS-485 bus)', () => {
  it('two units share one line; each answers its own requests with a good CRC', async () => {
    const { sim, peer } = await bus();
    expect(sim.devices.map((d) => d.address)).toEqual([expect.stringMatching(/^modbus-rtu .*ttyRS485 unit 2$/), expect.stringMatching(/unit 3$/)]);
    await peer.write(readHolding(2, 0, 8));
    const a = decodeRtuFrame(await peer.take(3 + 16 + 2));
    expect(a).toMatchObject({ ok: true, unitId: 2 });
    await peer.write(readHolding(3, 0, 4));
    const b = decodeRtuFrame(await peer.take(3 + 8 + 2));
    expect(b).toMatchObject({ ok: true, unitId: 3 });
  });

  it('a request with a bad CRC gets no answer; the next good one does', async () => {
    const { peer } = await bus();
    const bad = readHolding(2, 0, 1);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x55;
    await peer.write(bad);
    await sleep(QUIET_MS);
    expect(peer.received().length).toBe(0);
    await peer.write(readHolding(2, 0, 1));
    expect(decodeRtuFrame(await peer.take(7)).ok).toBe(true);
  });

  it('fault silent on one unit: it stays quiet, the other on the same bus still answers', async () => {
    const { sim, peer } = await bus();
    await sim.command('water-1 fault silent on');
    await peer.write(readHolding(2, 0, 1));
    await sleep(QUIET_MS);
    expect(peer.received().length).toBe(0);
    await peer.write(readHolding(3, 0, 1));
    expect(decodeRtuFrame(await peer.take(7))).toMatchObject({ ok: true, unitId: 3 });
    await sim.command('water-1 fault silent off');
    await peer.write(readHolding(2, 0, 1));
    expect(decodeRtuFrame(await peer.take(7))).toMatchObject({ ok: true, unitId: 2 });
  });

  it('fault exception: an exception response with a good CRC, and the write is not done', async () => {
    const { sim, peer } = await bus();
    await sim.command('water-1 fault exception device-failure');
    await peer.write(encodeRtuFrame(2, hex('06 0014 01F4')));
    const frame = decodeRtuFrame(await peer.take(5));
    expect(frame).toEqual({ ok: true, unitId: 2, pdu: hex('86 04') });
    expect(sim.device('water-1').state()).toMatchObject({ faults: ['exception 4'] });
  });

  it('fault corrupt: the answer arrives with a bad CRC', async () => {
    const { sim, peer } = await bus();
    await sim.command('occupancy-1 fault crc on');
    await peer.write(readHolding(3, 0, 1));
    const frame = await peer.take(7);
    expect(frame[0]).toBe(3);
    expect(crc16(frame.subarray(0, 5))).not.toBe(frame.readUInt16LE(5));
    expect(decodeRtuFrame(frame)).toEqual({ ok: false, reason: 'crc' });
  });

  it('fault partial: only the first half of the frame comes', async () => {
    const { sim, peer } = await bus();
    await sim.command('occupancy-1 fault partial on');
    await peer.write(readHolding(3, 0, 4));
    await sleep(QUIET_MS);
    expect(peer.received().length).toBe(Math.ceil(13 / 2));
    expect(peer.received()[0]).toBe(3);
  });

  it('fault garbage and noise: bytes that are no frame', async () => {
    const { sim, peer } = await bus();
    await sim.command('occupancy-1 fault garbage on');
    await peer.write(readHolding(3, 0, 4));
    const noise = await peer.take(13);
    expect(decodeRtuFrame(noise).ok).toBe(false);
    await sim.command('occupancy-1 fault clear');
    peer.clear();
    expect(await sim.command('water-1 noise 16')).toBe('sent 16 bytes of noise');
    expect((await peer.take(16)).length).toBe(16);
  });

  it('fault delay: the answer comes, late', async () => {
    const { sim, peer } = await bus();
    await sim.command('water-1 fault delay 600');
    const start = performance.now();
    await peer.write(readHolding(2, 0, 1));
    await sleep(200);
    expect(peer.received().length).toBe(0);
    expect(decodeRtuFrame(await peer.take(7))).toMatchObject({ ok: true, unitId: 2 });
    expect(performance.now() - start).toBeGreaterThanOrEqual(599);
  });

  it('drop: the pty link disappears (an unplugged adapter) and comes back at the same path', async () => {
    const { sim, peer, path } = await bus();
    expect(await sim.command('water-1 drop 1s')).toMatch(/dropped for 1000 ms \(with occupancy-1 on the same bus\)/);
    expect(existsSync(path)).toBe(false);
    expect(sim.device('occupancy-1').state()['link']).toBe('down');
    // What the gateway had open is dead: nothing it sends is answered.
    void peer.write(readHolding(2, 0, 1)).catch(() => undefined);
    await expect.poll(() => existsSync(path) && sim.device('water-1').state()['link'] === 'up', { timeout: 10_000 }).toBe(true);
    const again = await openSerialPeer(path);
    cleanups.push(() => again.close());
    await again.write(readHolding(2, 0, 1));
    expect(decodeRtuFrame(await again.take(7)).ok).toBe(true);
  });

  it('--baud-timing: an answer takes at least t3.5 + response delay + its time on the wire', async () => {
    const { peer } = await bus({ baudTiming: true });
    const start = performance.now();
    await peer.write(readHolding(2, 0, 8));
    await peer.take(21);
    // 4.0 ms t3.5 + 20 ms response delay + 21 × 1.146 ms: a lower bound, never an upper one.
    expect(performance.now() - start).toBeGreaterThanOrEqual(4 + 20 + 24);
  });
});
