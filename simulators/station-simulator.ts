import type { LoadedStation } from '../config/load-station-config.js';
import { lockDoors } from '../config/lock-doors.js';
import type { DeviceConfig } from '../config/station-schema.js';
import { startSimulators, type DeviceSimSpec, type SimTransport, type SimulatorSetOptions, type StationSimulator } from './simulator-set.js';

export type { SimulatedDevice, SimEndpointInfo } from './devices/simulated-device.js';
export type { DeviceSimSpec, SimTransport, StationSimulator, BaudTimingOptions } from './simulator-set.js';
export { startSimulators, UnsimulatedDeviceError } from './simulator-set.js';

export interface StationSimulatorOptions extends SimulatorSetOptions {
  /** Someone walks through each released door (the lock's door contact opens and closes). */
  walkThrough?: boolean | undefined;
}

/**
 * Simulates every device a station config names, on the addresses the config gives: Modbus TCP
 * and RTU-over-TCP devices on TCP listeners (devices with the same host:port share one, as they
 * share one converter), Modbus RTU devices on a pty linked at the configured serial path (devices
 * with the same path share one simulated RS-485 bus), line devices on ptys linked at their paths
 * or, for `serial-tcp`, on TCP listeners at their host:port (one client at a time, as a device server).
 * GPIO devices are left out (listed in `skipped`): the gateway drives them on its own pins.
 */
export async function startStationSimulator(station: LoadedStation, options: StationSimulatorOptions = {}): Promise<StationSimulator> {
  const specs: DeviceSimSpec[] = [];
  const skipped: Array<{ id: string; reason: string }> = [];
  for (const device of station.config.devices) {
    const transport = simTransport(device);
    if (!transport) {
      skipped.push({ id: device.id, reason: 'GPIO devices are not simulated' });
      continue;
    }
    const profile = station.profiles.get(device.id);
    specs.push({
      id: device.id,
      kind: device.kind,
      transport,
      unitId: 'unitId' in device.transport ? device.transport.unitId : undefined,
      profile,
      doors: device.kind === 'door-lock' ? Math.max(2, ...lockDoors(station.config, device)) : undefined,
      walkThrough: options.walkThrough,
    });
  }
  const sim = await startSimulators(specs, options);
  return { ...sim, skipped };
}

function simTransport(device: DeviceConfig): SimTransport | undefined {
  const t = device.transport;
  switch (t.type) {
    case 'serial':
      return { type: 'serial', endpoint: { type: 'pty', path: t.path }, baudRate: t.baudRate };
    case 'serial-tcp':
      return { type: 'serial-tcp', host: t.host, port: t.port };
    case 'modbus-tcp':
      return { type: 'modbus-tcp', host: t.host, port: t.port };
    case 'modbus-rtu-over-tcp':
      return { type: 'modbus-rtu-over-tcp', host: t.host, port: t.port };
    case 'modbus-rtu':
      return { type: 'modbus-rtu', endpoint: { type: 'pty', path: t.path }, baudRate: t.baudRate };
    case 'gpio':
      return undefined;
  }
}

