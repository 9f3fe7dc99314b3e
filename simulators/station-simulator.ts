import type { Logger } from 'pino';
import type { LoadedStation } from '../config/load-station-config.js';
import { lockDoors } from '../config/lock-doors.js';
import type { Profile } from '../config/profile-schema.js';
import type { DeviceConfig } from '../config/station-schema.js';
import type { DeviceKind } from '../device-drivers/device.js';
import { startDoorLockSimulator } from './line/door-lock-sim.js';
import { startQrScannerSimulator } from './line/qr-scanner-sim.js';
import type { DeviceModel, DeviceModelOptions } from './modbus/device-model.js';
import { BatteryCabinetModel } from './modbus/models/battery-cabinet-model.js';
import { OccupancyModel } from './modbus/models/occupancy-model.js';
import { WaterDispenserModel } from './modbus/models/water-dispenser-model.js';
import { startModbusSimulator } from './modbus/start-modbus-device-sim.js';

export interface StationSimulatorOptions {
  /** Same seed, same device life: a test or a crew can replay a run. */
  seed?: number;
  log?: Logger;
}

export interface SimulatedDevice {
  id: string;
  kind: DeviceKind;
  /** Where the gateway finds it, e.g. `modbus-tcp 127.0.0.1:15020 unit 1` or `serial /path`. */
  address: string;
}

export interface StationSimulator {
  readonly devices: readonly SimulatedDevice[];
  stop(): Promise<void>;
}

const MODELS: Partial<Record<DeviceKind, new (o: DeviceModelOptions) => DeviceModel>> = {
  'battery-cabinet': BatteryCabinetModel,
  'water-dispenser': WaterDispenserModel,
  occupancy: OccupancyModel,
};

export class UnsimulatedDeviceError extends Error {
  override readonly name = 'UnsimulatedDeviceError';
  readonly code = 'SIM_UNSUPPORTED';
}

/**
 * Simulates every device a station config names, on the addresses the config gives: Modbus
 * devices on TCP listeners (devices with the same host:port share one listener, as they share
 * one converter), line devices on pseudo-terminals linked at the configured serial paths.
 */
export async function startStationSimulator(station: LoadedStation, options: StationSimulatorOptions = {}): Promise<StationSimulator> {
  const stops: Array<() => Promise<void>> = [];
  const devices: SimulatedDevice[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(stops.reverse().map((s) => s()));
  };
  try {
    const listeners = new Map<string, { host: string; port: number; framing: 'mbap' | 'rtu'; devices: Array<{ unitId: number; model: DeviceModel }> }>();
    let seed = options.seed ?? 1;
    for (const device of station.config.devices) {
      const t = device.transport;
      switch (t.type) {
        case 'serial': {
          const sim =
            device.kind === 'door-lock'
              ? await startDoorLockSimulator({ path: t.path, doors: Math.max(2, ...lockDoors(station.config, device)), ...(options.log ? { log: options.log.child({ sim: device.id }) } : {}) })
              : await startQrScannerSimulator({ path: t.path });
          stops.push(() => sim.stop());
          devices.push({ id: device.id, kind: device.kind, address: `serial ${t.path}` });
          break;
        }
        case 'modbus-tcp':
        case 'modbus-rtu-over-tcp': {
          const framing = t.type === 'modbus-tcp' ? 'mbap' : 'rtu';
          const key = `${t.host}:${t.port}`;
          const listener = listeners.get(key) ?? { host: t.host, port: t.port, framing, devices: [] };
          if (listener.framing !== framing) throw new UnsimulatedDeviceError(`${device.id}: ${key} is used with two framings (modbus-tcp and modbus-rtu-over-tcp)`);
          listener.devices.push({ unitId: t.unitId, model: buildModel(device, station.profiles.get(device.id), seed++) });
          listeners.set(key, listener);
          devices.push({ id: device.id, kind: device.kind, address: `${t.type} ${key} unit ${t.unitId}` });
          break;
        }
        case 'modbus-rtu':
          throw new UnsimulatedDeviceError(`${device.id}: Modbus RTU on a serial line is not simulated yet; use modbus-rtu-over-tcp for a simulated station`);
        case 'gpio':
          throw new UnsimulatedDeviceError(`${device.id}: GPIO devices are not simulated`);
      }
    }
    for (const l of listeners.values()) {
      const server = await startModbusSimulator({ host: l.host, port: l.port, framing: l.framing, devices: l.devices });
      stops.push(() => server.stop());
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { devices, stop: stopAll };
}

function buildModel(device: DeviceConfig, profile: Profile | undefined, seed: number): DeviceModel {
  const Model = MODELS[device.kind];
  if (!Model || !profile) throw new UnsimulatedDeviceError(`${device.id}: no simulator for a ${device.kind}`);
  return new Model({ profile, seed });
}
