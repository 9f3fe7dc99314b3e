import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceError } from '../../../device-drivers/device-error.js';
import { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';
import { loadTestProfile } from '../../simulators/modbus/load-test-profile.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

interface Watched {
  monitor: DeviceMonitor;
  polls: number;
  offline: number;
  online: number;
  /** What each failed read of the unit told: a probe (and its wait) or a try with the full timeout. */
  failures: Array<{ code: string; probeTimeoutMs: number | undefined; skipped: boolean }>;
}

const TIMEOUT_MS = 150;

/** Three units behind one Modbus TCP listener, one bus in the gateway, one monitor each. */
async function station(): Promise<{ sim: StationSimulator; devices: Record<string, Watched> }> {
  const port = await freePort();
  const sim = await startSimulators(
    [
      { id: 'cabinet-1', kind: 'battery-cabinet', unitId: 1, slots: 4, transport: { type: 'modbus-tcp', port } },
      { id: 'water-1', kind: 'water-dispenser', unitId: 2, transport: { type: 'modbus-tcp', port } },
      { id: 'occupancy-1', kind: 'occupancy', unitId: 3, transport: { type: 'modbus-tcp', port } },
    ],
    { seed: 3 },
  );
  cleanup.push(() => sim.stop());
  const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port }, silentLogger(), { unitBackoffMinMs: 300, unitBackoffMaxMs: 2000 });
  cleanup.push(() => bus.close());
  const devices: Record<string, Watched> = {};
  for (const [id, profile, unitId] of [
    ['cabinet-1', 'cabinet-ref', 1],
    ['water-1', 'dispenser-ref', 2],
    ['occupancy-1', 'occupancy-ref', 3],
  ] as const) {
    const driver = new ModbusProfileDriver({ profile: loadTestProfile(profile), bus, unitId, timeoutMs: TIMEOUT_MS });
    const failures: Watched['failures'] = [];
    const read = driver.read.bind(driver);
    driver.read = () =>
      read().catch((err: unknown) => {
        const e = err as DeviceError;
        const wait = e.detail?.['probeTimeoutMs'];
        failures.push({ code: e.code, probeTimeoutMs: typeof wait === 'number' ? wait : undefined, skipped: e.detail?.['skipped'] === true });
        throw err;
      });
    const monitor = new DeviceMonitor({ id, driver, pollMs: 20, offlineAfter: 3, log: silentLogger() });
    const w: Watched = { monitor, polls: 0, offline: 0, online: 0, failures };
    monitor.on('state', (s) => {
      if (s.online) w.polls++;
    });
    monitor.on('offline', () => w.offline++);
    monitor.on('online', () => w.online++);
    devices[id] = w;
    cleanup.push(() => monitor.stop());
  }
  await Promise.all(Object.values(devices).map((d) => d.monitor.start()));
  return { sim, devices };
}

describe('ModbusBus: one dead unit does not stall the others on its bus', () => {
  it('backs off the silent unit only, probing it between its few full tries; the others keep polling; it goes offline and recovers', async () => {
    const { sim, devices } = await station();
    const cabinet = devices['cabinet-1']!;
    const water = devices['water-1']!;
    const occupancy = devices['occupancy-1']!;
    await waitFor(() => cabinet.polls > 0 && water.polls > 0 && occupancy.polls > 0, 10_000, 'all three online');

    await sim.command('occupancy-1 fault silent on');
    await waitFor(() => occupancy.offline === 1, 10_000, 'occupancy-1 offline');
    const from = { cabinet: cabinet.polls, water: water.polls };
    // 40 polls each of the healthy units: without the unit's backoff every one of their cycles
    // would also wait out a 150 ms timeout of the dead unit, so it would time out ~40 times.
    await waitFor(() => cabinet.polls - from.cabinet >= 40 && water.polls - from.water >= 40, 20_000, '40 more polls of the healthy units');
    const timeouts = occupancy.failures.filter((f) => f.code === 'TIMEOUT' && !f.skipped);
    const full = timeouts.filter((f) => f.probeTimeoutMs === undefined);
    const probes = timeouts.filter((f) => f.probeTimeoutMs !== undefined);
    // Tries with the full timeout: the first (retried once), then at 0.3, 0.6, 1.2, 2, 2 ... s: a handful, not 40.
    expect(full.length).toBeGreaterThanOrEqual(1);
    expect(full.length).toBeLessThanOrEqual(10);
    // Between them the unit, heard before, is probed on its polls, each waiting at most the timeout.
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) expect(p.probeTimeoutMs).toBeLessThanOrEqual(TIMEOUT_MS);
    expect(occupancy.monitor.state().health.errors.TIMEOUT).toBe(timeouts.length);
    expect(cabinet.offline + water.offline).toBe(0);
    expect(occupancy.monitor.state().online).toBe(false);

    await sim.command('occupancy-1 fault silent off');
    await waitFor(() => occupancy.online === 2, 10_000, 'occupancy-1 back online');
    expect(occupancy.monitor.state().points['sensorStatus']).toBeDefined();
  });
});
