import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceErrorCode } from '../../../device-drivers/device-error.js';
import { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { ModbusBus, type ModbusEndpoint } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { startSimulators, type SimTransport, type StationSimulator } from '../../../simulators/simulator-set.js';
import { freePort } from '../../helpers/free-port.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { loadTestProfile } from '../../simulators/modbus/load-test-profile.js';
import { watchMonitor, type WatchedMonitor } from './watch-monitor.js';

export type SweptTransport = 'modbus-tcp' | 'modbus-rtu-over-tcp' | 'modbus-rtu';

/**
 * One wire fault, how a crew injects it, and the code the gateway must count for it on each
 * transport. `clears` is false for faults that end by themselves (a drop comes back after its time).
 */
export interface ModbusFaultCase {
  fault: string;
  inject: string;
  clears: boolean;
  codes: Record<SweptTransport, DeviceErrorCode>;
}

const same = (code: DeviceErrorCode): Record<SweptTransport, DeviceErrorCode> => ({ 'modbus-tcp': code, 'modbus-rtu-over-tcp': code, 'modbus-rtu': code });

const SLOTS = 2;
const TIMEOUT_MS = 150;
/** Long enough a drop that several polls fail, short enough to keep the sweep quick. */
const DROP_MS = 600;

export const SWEPT_SLOTS = SLOTS;

export const MODBUS_FAULTS: readonly ModbusFaultCase[] = [
  { fault: 'silent', inject: 'fault silent on', clears: true, codes: same('TIMEOUT') },
  // Later than the gateway waits: a late answer must not be taken for the next request's.
  { fault: 'delay', inject: `fault delay ${TIMEOUT_MS * 3}`, clears: true, codes: same('TIMEOUT') },
  { fault: 'exception', inject: 'fault exception device-failure', clears: true, codes: same('EXCEPTION') },
  // TCP has no CRC: a wrong transaction id is an answer to nothing, so the request times out.
  { fault: 'corrupt', inject: 'fault corrupt on', clears: true, codes: { 'modbus-tcp': 'TIMEOUT', 'modbus-rtu-over-tcp': 'CRC', 'modbus-rtu': 'CRC' } },
  { fault: 'partial', inject: 'fault partial on', clears: true, codes: same('TIMEOUT') },
  { fault: 'garbage', inject: 'fault garbage on', clears: true, codes: same('TIMEOUT') },
  { fault: 'drop', inject: `drop ${DROP_MS}`, clears: false, codes: same('DISCONNECTED') },
];

export interface SweptStation {
  sim: StationSimulator;
  watched: WatchedMonitor;
}

const cleanup: Array<() => Promise<void> | void> = [];

/** Stops what station() started; every file of the sweep runs it after each test. */
export async function stopSweptStations(): Promise<void> {
  while (cleanup.length) await cleanup.pop()?.();
}

/** A cabinet simulated on `transport`, and the gateway's bus, driver and monitor polling it, online. */
export async function sweptStation(transport: SweptTransport): Promise<SweptStation> {
  let simTransport: SimTransport;
  let endpoint: ModbusEndpoint;
  if (transport === 'modbus-rtu') {
    const dir = tempDir('modbus-faults-');
    cleanup.push(() => dir.remove());
    const path = `${dir.path}/ttyRS485`;
    simTransport = { type: 'modbus-rtu', endpoint: { type: 'pty', path } };
    endpoint = { type: 'modbus-rtu', path, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
  } else {
    const port = await freePort();
    simTransport = { type: transport, port };
    endpoint = { type: transport, host: '127.0.0.1', port };
  }
  const sim = await startSimulators([{ id: 'cabinet-1', kind: 'battery-cabinet', unitId: 1, slots: SLOTS, transport: simTransport }], { seed: 11 });
  cleanup.push(() => sim.stop());
  // Small backoffs so a cleared fault is noticed within a few polls.
  const bus = new ModbusBus(endpoint, silentLogger(), { reconnectMinMs: 50, reconnectMaxMs: 200, unitBackoffMinMs: 50, unitBackoffMaxMs: 200 });
  cleanup.push(() => bus.close());
  const driver = new ModbusProfileDriver({ profile: loadTestProfile('cabinet-ref'), bus, unitId: 1, timeoutMs: TIMEOUT_MS });
  const watched = watchMonitor(new DeviceMonitor({ id: 'cabinet-1', driver, pollMs: 20, offlineAfter: 2, log: silentLogger() }));
  cleanup.push(() => watched.monitor.stop());
  await watched.monitor.start();
  await waitFor(() => watched.onlines === 1, 10_000, 'cabinet online');
  return { sim, watched };
}

/** Every wire fault of the simulators against the gateway's Modbus driver and monitor on `transport`. */
export function describeModbusFaultSweep(transport: SweptTransport, title: string): void {
  describe(`${title}: every wire fault, offline while it lasts, back by itself after`, () => {
    afterEach(stopSweptStations);

    it.each(MODBUS_FAULTS)('$fault', async (c) => {
      const { sim, watched } = await sweptStation(transport);
      await sim.command(`cabinet-1 ${c.inject}`);
      await waitFor(() => watched.offlines === 1, 10_000, `offline under ${c.fault}`);
      const errors = watched.monitor.state().health.errors;
      expect(errors[c.codes[transport]], JSON.stringify(errors)).toBeGreaterThan(0);

      if (c.clears) await sim.command('cabinet-1 fault clear');
      await waitFor(() => watched.onlines === 2, 10_000, `online after ${c.fault}`);
      // Fresh, whole points: nothing of the fault's frames leaked into a later read.
      const points = await watched.monitor.driver.read();
      expect(points['slotCount']).toBe(SLOTS);
      expect(points['slots']).toHaveLength(SLOTS);
    });
  });
}
