import type { DeviceConfig, StationConfig } from './station-schema.js';

/** The doors a lock controller serves: as configured, else those the resources name, else door 1. */
export function lockDoors(config: StationConfig, device: DeviceConfig): number[] {
  if (device.doors) return device.doors;
  const named = Object.values(config.resources)
    .filter((r) => r.device === device.id && r.door !== undefined)
    .map((r) => r.door as number);
  return named.length > 0 ? [...new Set(named)].sort((a, b) => a - b) : [1];
}
