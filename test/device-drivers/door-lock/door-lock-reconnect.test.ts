import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDoorLockDriver, type DoorLockDriver } from '../../../device-drivers/door-lock/door-lock-driver.js';
import { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { startDoorLockSimulator, type DoorLockSimulator } from '../../../simulators/line/door-lock-sim.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('DoorLockDriver keeps its port: pty unplugged and back, port gone silent', () => {
  let dir: string;
  let sim: DoorLockSimulator | undefined;
  let monitor: DeviceMonitor | undefined;
  let driver: DoorLockDriver;
  let onlines: number;
  let offlines: number;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'door-lock-keep-'));
    const devicePath = path.join(dir, 'lock');
    sim = await startDoorLockSimulator({ path: devicePath });
    driver = createDoorLockDriver({
      serial: { path: devicePath, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
      doors: [1],
      timeoutMs: 300,
      log: silentLogger(),
      keeper: { reopenMinMs: 100, reopenMaxMs: 400, silentAfter: 3 },
    });
    monitor = new DeviceMonitor({ id: 'lock-1', driver, pollMs: 50, offlineAfter: 2, log: silentLogger() });
    onlines = 0;
    offlines = 0;
    monitor.on('online', () => onlines++);
    monitor.on('offline', () => offlines++);
    await monitor.start();
    await waitFor(() => onlines === 1, 10_000, 'lock online');
  });

  afterEach(async () => {
    await monitor?.stop();
    await sim?.stop();
    monitor = undefined;
    sim = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the pty link removed and made again (an unplugged adapter): offline, then online by itself', async () => {
    await sim?.drop(1500);
    await waitFor(() => offlines === 1, 10_000, 'lock offline');
    expect(monitor?.state().health.errors.DISCONNECTED).toBeGreaterThan(0);
    await waitFor(() => onlines === 2, 15_000, 'lock online again');
    expect((await driver.read()).doors).toMatchObject({ '1': { bolt: 'locked' } });
  });

  it('a port that stays silent is closed and reopened, and the lock comes back when it answers', async () => {
    sim?.faults({ silent: true });
    await waitFor(() => offlines === 1, 10_000, 'lock offline');
    await waitFor(() => driver.silentReopens >= 1, 10_000, 'the silent port reopened');
    sim?.faults({ silent: false });
    await waitFor(() => onlines === 2, 10_000, 'lock online again');
  });
});
