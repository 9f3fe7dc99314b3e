import type { DeviceErrorCode } from './device-error.js';

/*
 * A device's state as the monitor keeps it and the bridge publishes it. Apart from device.ts so
 * the capability interfaces can read states without importing the driver interface that names
 * them (which would be a cycle).
 */

/** Point values as published: plain JSON (numbers, booleans, strings, nested records and arrays). */
export type PointValue = number | boolean | string | null | PointValue[] | { [name: string]: PointValue };
export type Points = Record<string, PointValue>;

export type ErrorCounters = Record<DeviceErrorCode, number>;

export interface DeviceHealth {
  lastSeen: string | null;
  errors: ErrorCounters;
  latencyMs: number | null;
}

export interface DeviceState {
  online: boolean;
  points: Points;
  health: DeviceHealth;
}
