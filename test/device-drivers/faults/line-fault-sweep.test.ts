import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../../../device-drivers/device.js';
import type { DeviceErrorCode } from '../../../device-drivers/device-error.js';
import { createDoorLockDriver, type DoorLockDriver } from '../../../device-drivers/door-lock/door-lock-driver.js';
import { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { createQrScannerDriver, type QrScannerDriver } from '../../../device-drivers/qr-scanner/qr-scanner-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { watchMonitor, type WatchedMonitor } from './watch-monitor.js';

const TIMEOUT_MS = 150;
/** How long the sweeps wait for a health transition; the fault is held at least this long. */
const TRANSITION_MS = 10_000;
/*
 * A drop is only seen if `offlineAfter` polls in a row fail while the pty is gone, and the polls
 * run on this process's timers: a 600 ms drop went unseen when the suite's load stalled the worker
 * for about that long after the drop (one failed poll, then the pty was back), and nothing then
 * could ever go offline. So an unplug lasts until the monitor has reported it, never a guessed
 * time: `drop` for longer than the wait for offline, then `drop 0` (a new drop replaces the
 * pending return) plugs it back in.
 */
const HELD_DROP = `drop ${TRANSITION_MS * 2}`;
const END_DROP = 'drop 0';
const serial = (path: string) => ({ path, baudRate: 9600, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const });

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

/** One simulated line device on a pty (socat), the gateway's driver and monitor on the other end. */
async function lineDevice<D extends DoorLockDriver | QrScannerDriver>(
  kind: 'door-lock' | 'qr-scanner',
  makeDriver: (path: string) => D,
): Promise<{ sim: StationSimulator; driver: D; watched: WatchedMonitor }> {
  const dir = tempDir('line-faults-');
  cleanup.push(() => dir.remove());
  const path = `${dir.path}/tty${kind}`;
  const sim = await startSimulators([{ id: 'dev-1', kind, doors: 1, transport: { type: 'serial', endpoint: { type: 'pty', path } } }], { seed: 7 });
  cleanup.push(() => sim.stop());
  const driver = makeDriver(path);
  const watched = watchMonitor(new DeviceMonitor({ id: 'dev-1', driver, pollMs: 20, offlineAfter: 2, log: silentLogger() }));
  cleanup.push(() => watched.monitor.stop());
  await watched.monitor.start();
  await waitFor(() => watched.onlines === 1, 10_000, `${kind} online`);
  return { sim, driver, watched };
}

const doorLock = (): ReturnType<typeof lineDevice<DoorLockDriver>> =>
  lineDevice('door-lock', (path) =>
    createDoorLockDriver({ serial: serial(path), doors: [1], timeoutMs: TIMEOUT_MS, log: silentLogger(), keeper: { reopenMinMs: 50, reopenMaxMs: 200, silentAfter: 3 } }),
  );

/** A fault, how a crew injects it and ends it, and the codes health must count for it (any one of them). */
interface LineFaultCase {
  fault: string;
  inject: string;
  end: string;
  codes: readonly DeviceErrorCode[];
}

const DOOR_LOCK_FAULTS: readonly LineFaultCase[] = [
  { fault: 'silent', inject: 'fault silent on', end: 'fault clear', codes: ['TIMEOUT'] },
  // Replies later than the driver waits: matched by seq to nothing, never to the next request.
  { fault: 'delay', inject: `fault delay ${TIMEOUT_MS * 3}`, end: 'fault clear', codes: ['TIMEOUT'] },
  { fault: 'corrupt', inject: 'fault corrupt on', end: 'fault clear', codes: ['CHECKSUM'] },
  { fault: 'partial', inject: 'fault partial on', end: 'fault clear', codes: ['TIMEOUT'] },
  // Noise lines have no `*` (PROTOCOL), or one in a random place (CHECKSUM).
  { fault: 'garbage', inject: 'fault garbage on', end: 'fault clear', codes: ['PROTOCOL', 'CHECKSUM'] },
  { fault: 'drop', inject: HELD_DROP, end: END_DROP, codes: ['DISCONNECTED'] },
];

describe('door lock over a pty: every wire fault, offline while it lasts, back by itself after', () => {
  it.each(DOOR_LOCK_FAULTS)('$fault', async (c) => {
    const { sim, driver, watched } = await doorLock();
    await sim.command(`dev-1 ${c.inject}`);
    await waitFor(() => watched.offlines === 1, TRANSITION_MS, `offline under ${c.fault}`);
    const errors = watched.monitor.state().health.errors;
    expect(c.codes.reduce((n, code) => n + errors[code], 0), JSON.stringify(errors)).toBeGreaterThan(0);

    await sim.command(`dev-1 ${c.end}`);
    await waitFor(() => watched.onlines === 2, TRANSITION_MS, `online after ${c.fault}`);
    expect((await driver.read()).doors).toMatchObject({ '1': { bolt: 'locked', door: 'closed' } });
  });

  it('noise bursts on the line are dropped and counted; the lock stays online', async () => {
    const { sim, driver, watched } = await doorLock();
    for (let burst = 0; burst < 3; burst++) {
      await sim.command('dev-1 noise 40');
      const polls = watched.monitor.state().health.lastSeen;
      await waitFor(() => watched.monitor.state().health.lastSeen !== polls, 10_000, 'a poll after the burst');
    }
    const c = driver.counters();
    expect(c.protocol + c.checksum).toBeGreaterThanOrEqual(3);
    expect(watched.offlines).toBe(0);
    expect((await driver.read()).doors).toMatchObject({ '1': { bolt: 'locked' } });
  });
});

describe('QR scanner over a pty: unplugged and back, cut and noisy scans', () => {
  const scanner = async (): Promise<{ sim: StationSimulator; driver: QrScannerDriver; watched: WatchedMonitor; scans: string[] }> => {
    const device = await lineDevice('qr-scanner', (path) => createQrScannerDriver({ serial: serial(path), log: silentLogger() }));
    const scans: string[] = [];
    device.driver.onEvent((e: DeviceEvent) => {
      if (e.type === 'scan') scans.push(e.data.text);
    });
    return { ...device, scans };
  };

  it('drop: offline while the pty is gone, online and scanning again after', async () => {
    const { sim, watched, scans } = await scanner();
    await sim.command(`dev-1 ${HELD_DROP}`);
    await waitFor(() => watched.offlines === 1, TRANSITION_MS, 'scanner offline');
    expect(watched.monitor.state().health.errors.DISCONNECTED).toBeGreaterThan(0);
    await sim.command(`dev-1 ${END_DROP}`);
    await waitFor(() => watched.onlines === 2, TRANSITION_MS, 'scanner online again');
    // The new pty can be open at both ends a moment before socat forwards, as with a replugged
    // adapter: a worker scans again; what matters is that scanning works without a restart.
    for (let attempt = 0; attempt < 10 && scans.length === 0; attempt++) {
      await sim.command('dev-1 scan W-0042');
      await waitFor(() => scans.length > 0, 1000, 'a scan after the drop').catch(() => undefined);
    }
    expect(new Set(scans)).toEqual(new Set(['W-0042']));
  });

  it('partial and garbage: dropped and counted, never read as a scan, and the next scan is whole', async () => {
    const { sim, driver, watched, scans } = await scanner();
    await sim.command('dev-1 fault partial on');
    await sim.command('dev-1 scan CUT-SHORT-0001');
    // The half line is dropped once the line stays quiet, not glued to the next scan.
    await waitFor(() => driver.droppedByReason().unterminated === 1, 10_000, 'the cut scan dropped');
    await sim.command('dev-1 fault partial off');
    await sim.command('dev-1 fault garbage on');
    await sim.command('dev-1 scan NOISE-0002');
    await waitFor(() => driver.droppedByReason().garbage === 1, 10_000, 'the noise dropped');
    await sim.command('dev-1 fault clear');
    await sim.command('dev-1 scan W-0003');
    await waitFor(() => scans.length > 0, 10_000, 'a good scan');
    expect(scans).toEqual(['W-0003']);
    expect(watched.offlines).toBe(0);
  });
});
