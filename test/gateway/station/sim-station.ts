import { join } from 'node:path';
import { loadProfileFile } from '../../../config/load-profile.js';
import { builtinProfilesDir } from '../../../config/package-root.js';
import type { DeviceKind } from '../../../config/device-kinds.js';
import { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';

const PROFILES: Partial<Record<DeviceKind, string>> = { 'battery-cabinet': 'cabinet-ref', 'water-dispenser': 'dispenser-ref', occupancy: 'occupancy-ref' };

export interface SimDevice {
  id: string;
  monitor: DeviceMonitor;
  driver: ModbusProfileDriver;
  /** Reads coils back from the simulator over the same bus, as any Modbus master would. */
  readCoil(address: number): Promise<boolean>;
}

export interface SimStation {
  sim: StationSimulator;
  device(id: string): SimDevice;
  /** The simulator's own view of a device (its model snapshot). */
  simState<T = Record<string, unknown>>(id: string): T;
  /** Starts polling; call after the station logic listens to the monitors. */
  startPolling(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Simulated Modbus devices in-process on 127.0.0.1 over real TCP, each read by the gateway's own
 * ModbusBus, ModbusProfileDriver and DeviceMonitor at a fast poll: the path a station runs.
 */
export async function startSimStation(devices: ReadonlyArray<{ id: string; kind: DeviceKind; slots?: number }>, seed = 5): Promise<SimStation> {
  const sim = await startSimulators(
    devices.map((d) => ({ id: d.id, kind: d.kind, transport: { type: 'modbus-tcp' as const, port: 0 }, slots: d.slots })),
    { seed, tickMs: 100 },
  );
  const log = silentLogger();
  const buses: ModbusBus[] = [];
  const byId = new Map<string, SimDevice>();
  for (const d of devices) {
    const endpoint = sim.device(d.id).endpoint;
    if (endpoint.transport !== 'modbus-tcp') throw new Error(`${d.id}: expected a Modbus TCP simulator`);
    const { profile, problems } = loadProfileFile(join(builtinProfilesDir(), `${PROFILES[d.kind] ?? ''}.yaml`));
    if (!profile) throw new Error(problems.map((p) => p.message).join('; '));
    const bus = new ModbusBus({ type: 'modbus-tcp', host: endpoint.host, port: endpoint.port }, log);
    buses.push(bus);
    const driver = new ModbusProfileDriver({ profile, bus, unitId: endpoint.unitId, timeoutMs: 1000 });
    const monitor = new DeviceMonitor({ id: d.id, driver, pollMs: 100, offlineAfter: 3, log });
    byId.set(d.id, {
      id: d.id,
      monitor,
      driver,
      readCoil: async (address) => (await bus.transact(endpoint.unitId, 1000, (s) => s.readBits('coil', address, 1)))[0] === true,
    });
  }
  const device = (id: string): SimDevice => {
    const d = byId.get(id);
    if (!d) throw new Error(`no device ${id}`);
    return d;
  };
  return {
    sim,
    device,
    simState: <T,>(id: string) => sim.device(id).state() as T,
    startPolling: async () => {
      await Promise.all([...byId.values()].map((d) => d.monitor.start()));
    },
    stop: async () => {
      await Promise.all([...byId.values()].map((d) => d.monitor.stop()));
      await Promise.all(buses.map((b) => b.close()));
      await sim.stop();
    },
  };
}
