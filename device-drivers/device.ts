import type { DeviceKind } from '../config/device-kinds.js';
import type { Capability } from './capabilities/capabilities.js';
import type { Points } from './device-state.js';

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
  readonly capability?: Capability | undefined;
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
