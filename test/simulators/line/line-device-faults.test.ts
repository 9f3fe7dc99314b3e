import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checksum, decodeFrame, encodeFrame } from '../../../device-drivers/line/line-frame.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { openSerialPeer, type SerialPeer } from '../serial-peer.js';

/* Line-protocol simulators seen from the gateway's end of the pty, as raw bytes. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const QUIET_MS = 400;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function lines(peer: SerialPeer, count: number, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = peer.received().toString('latin1').split('\r\n');
    if (got.length > count) return got.slice(0, count);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} lines: ${JSON.stringify(peer.received().toString('latin1'))}`);
    await sleep(10);
  }
}

async function station(options: { walkThrough?: boolean } = {}): Promise<{ sim: StationSimulator; lock: SerialPeer; scanner: SerialPeer; lockPath: string }> {
  const dir = tempDir('line-sim-');
  cleanups.push(() => dir.remove());
  const lockPath = join(dir.path, 'lock');
  const sim = await startSimulators(
    [
      { id: 'lock-1', kind: 'door-lock', transport: { type: 'serial', endpoint: { type: 'pty', path: lockPath } }, walkThrough: options.walkThrough },
      { id: 'scanner-1', kind: 'qr-scanner', transport: { type: 'serial', endpoint: { type: 'pty', path: join(dir.path, 'scanner') } } },
    ],
    { seed: 4 },
  );
  cleanups.push(() => sim.stop());
  const lock = await openSerialPeer(lockPath);
  cleanups.push(() => lock.close());
  const scanner = await openSerialPeer(join(dir.path, 'scanner'));
  cleanups.push(() => scanner.close());
  return { sim, lock, scanner, lockPath };
}

describe('door lock simulator faults on the wire', () => {
  it('answers a good request; a request with a bad checksum gets nothing', async () => {
    const { lock } = await station();
    await lock.write(encodeFrame(11, 'PING'));
    expect(decodeFrame((await lines(lock, 1))[0] ?? '')).toMatchObject({ seq: 11, verb: 'PONG' });
    lock.clear();
    await lock.write(`12 PING*${(parseInt(checksum('12 PING'), 16) ^ 1).toString(16).toUpperCase().padStart(2, '0')}\r\n`);
    await sleep(QUIET_MS);
    expect(lock.received().length).toBe(0);
  });

  it('fault corrupt: the reply carries a bad checksum', async () => {
    const { sim, lock } = await station();
    await sim.command('lock-1 fault checksum on');
    await lock.write(encodeFrame(21, 'STATUS', [1]));
    const [line] = await lines(lock, 1);
    expect(() => decodeFrame(line ?? '')).toThrow(expect.objectContaining({ code: 'CHECKSUM' }));
  });

  it('fault partial: half a reply and no line end', async () => {
    const { sim, lock } = await station();
    await sim.command('lock-1 fault partial on');
    await lock.write(encodeFrame(22, 'STATUS', [1]));
    await sleep(QUIET_MS);
    const got = lock.received().toString('latin1');
    expect(got.length).toBeGreaterThan(0);
    expect(got).not.toMatch(/[\r\n]/);
    expect(encodeFrame(22, 'STATUS', [1, 'LOCKED', 'CLOSED']).startsWith(got)).toBe(true);
  });

  it('fault garbage and noise: lines that are no frame', async () => {
    const { sim, lock } = await station();
    await sim.command('lock-1 fault garbage on');
    await lock.write(encodeFrame(23, 'PING'));
    const [line] = await lines(lock, 1);
    expect(() => decodeFrame(line ?? '')).toThrow();
    await sim.command('lock-1 fault garbage off');
    lock.clear();
    await sim.command('lock-1 noise 30');
    expect((await lock.take(32)).subarray(30).toString()).toBe('\r\n');
  });

  it('fault silent and delay: nothing, then a late answer', async () => {
    const { sim, lock } = await station();
    await sim.command('lock-1 fault silent on');
    await lock.write(encodeFrame(24, 'PING'));
    await sleep(QUIET_MS);
    expect(lock.received().length).toBe(0);
    await sim.command('lock-1 fault silent off');
    await sim.command('lock-1 fault delay 700');
    const start = performance.now();
    await lock.write(encodeFrame(25, 'PING'));
    await sleep(300);
    expect(lock.received().length).toBe(0);
    expect(decodeFrame((await lines(lock, 1))[0] ?? '')).toMatchObject({ seq: 25, verb: 'PONG' });
    expect(performance.now() - start).toBeGreaterThanOrEqual(699);
  });

  it('a jammed door answers ERR JAMMED; door contact events by command', async () => {
    const { sim, lock } = await station();
    await sim.command('lock-1 door 2 jammed');
    await lock.write(encodeFrame(26, 'UNLOCK', [2, 3000]));
    expect(decodeFrame((await lines(lock, 1))[0] ?? '')).toMatchObject({ seq: 26, verb: 'ERR', args: ['JAMMED'] });
    lock.clear();
    await sim.command('lock-1 door 1 open');
    expect(decodeFrame((await lines(lock, 1))[0] ?? '')).toMatchObject({ seq: 0, verb: 'EVT', args: ['DOOR', '1', 'OPEN'] });
  });

  it('walk-through: a released door opens and closes by itself', async () => {
    const { lock } = await station({ walkThrough: true });
    await lock.write(encodeFrame(27, 'UNLOCK', [1, 10000]));
    const got = (await lines(lock, 3, 15_000)).map((l) => decodeFrame(l));
    expect(got.map((f) => [f.verb, ...f.args])).toEqual([['OK'], ['EVT', 'DOOR', '1', 'OPEN'], ['EVT', 'DOOR', '1', 'CLOSED']]);
  });

  it('drop: the pty disappears and comes back; the controller answers again', async () => {
    const { sim, lockPath } = await station();
    await sim.command('lock-1 drop 800ms');
    expect(existsSync(lockPath)).toBe(false);
    expect(sim.device('lock-1').state()['link']).toBe('down');
    await expect.poll(() => existsSync(lockPath) && sim.device('lock-1').state()['link'] === 'up', { timeout: 10_000 }).toBe(true);
    const again = await openSerialPeer(lockPath);
    cleanups.push(() => again.close());
    // The BOOT event may have gone out before we opened the new link; a PING proves the controller is back.
    await again.write(encodeFrame(28, 'PING'));
    await expect.poll(() => again.received().toString('latin1'), { timeout: 5000 }).toMatch(/28 PONG/);
  });
});

describe('QR scanner simulator on the wire', () => {
  it('a scan is a line; partial, garbage and silent shape what is sent', async () => {
    const { sim, scanner } = await station();
    await sim.command('scanner-1 scan eyJhbGciOi.token');
    expect(await lines(scanner, 1)).toEqual(['eyJhbGciOi.token']);
    scanner.clear();
    await sim.command('scanner-1 fault partial on');
    await sim.command('scanner-1 scan ABCDEFGH');
    await sleep(QUIET_MS);
    expect(scanner.received().toString()).toBe('ABCD');
    scanner.clear();
    await sim.command('scanner-1 fault partial off');
    await sim.command('scanner-1 fault garbage on');
    await sim.command('scanner-1 scan ABCDEFGH');
    const [noise] = await lines(scanner, 1);
    expect(noise).not.toBe('ABCDEFGH');
    scanner.clear();
    await sim.command('scanner-1 fault clear');
    await sim.command('scanner-1 fault silent on');
    await sim.command('scanner-1 scan LOST');
    await sleep(QUIET_MS);
    expect(scanner.received().length).toBe(0);
    expect(sim.device('scanner-1').state()).toMatchObject({ scans: 4 });
  });
});
