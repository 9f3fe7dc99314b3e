import type { Capability } from './capabilities/capabilities.js';
import type { DeviceErrorCode } from './device-error.js';

/** The device kinds a station config may name. */
export const DEVICE_KINDS = ['door-lock', 'qr-scanner', 'battery-cabinet', 'water-dispenser', 'occupancy', 'smoke-detector'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Point values as published: plain JSON (numbers, booleans, strings, nested records and arrays). */
export type PointValue = number | boolean | string | null | PointValue[] | { [name: string]: PointValue };
export type Points = Record<string, PointValue>;

/**
 * Something a device said by itself, as a typed union: what each kind's drivers may emit and
 * nothing else, so a consumer's switch is checked by the compiler. Door events carry the door
 * number (from 1); the lock controller and the GPIO strike emit the same ones.
 */
export type DeviceEvent =
  | { type: 'door.opened' | 'door.closed' | 'exit.pressed'; data: { door: number } }
  | { type: 'scan'; data: { text: string } }
  | { type: 'presence.changed'; data: { presence: boolean } }
  | { type: 'smoke.changed'; data: { smoke: boolean } }
  | { type: 'lock.tamper'; data: Record<string, never> }
  | { type: 'lock.boot'; data: { firmware: string } };

export type DeviceEventType = DeviceEvent['type'];

/**
 * What the runtime needs from a driver. A driver owns its protocol, not its schedule: the
 * DeviceMonitor decides when to read and keeps the health bookkeeping, so every driver gets
 * the same online/offline semantics.
 */
export interface DeviceDriver {
  readonly kind: DeviceKind;
  readonly model: string;
  /**
   * The typed capability of its kind (a BatteryCabinet, a DoorController, ...): all the station
   * logic uses. Undefined for a driver that only reports points.
   */
  readonly capability?: Capability;
  /** Open the transport. Must not throw for a device that is merely absent: read() reports that. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** One poll: the device's current points, or a DeviceError. */
  read(): Promise<Points>;
  /** Per-point deadbands for analog values, keyed by point path (e.g. `slots.*.soc`). */
  deadbands(): Record<string, number>;
  /** Unsolicited events and scans; drivers without any may return a no-op. */
  onEvent(listener: (event: DeviceEvent) => void): () => void;
}

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
