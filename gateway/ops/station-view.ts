import type { DeviceState } from '../../device-drivers/device-state.js';
import type { DeviceKind } from '../../config/device-kinds.js';
import type { ActiveAlarm } from '../../cloud-bridge/contract-schemas.js';
import type { StationEvent } from '../../cloud-bridge/outbox-port.js';

/** One polled device as the operations parts see it (a DeviceMonitor satisfies it). */
export interface ViewDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly model: string;
  state(): DeviceState;
  pollStats(): { polls: number; lastSettledAt: number | null; pollMs: number };
  setPollMs(pollMs: number): void;
}

/**
 * What metrics, health, the watchdog and the status page read from a running station. The
 * runtime builds it from its parts, so none of them reaches into another part's internals.
 */
export interface StationView {
  readonly stationId: string;
  readonly devices: readonly ViewDevice[];
  /** Per device, how long one request may take (liveness allows for a slow answer). */
  timeoutMs(deviceId: string): number;
  outboxPending(): number;
  /** Time of the oldest event the broker has not acknowledged, if any. */
  oldestPendingAt(): Date | undefined;
  cloudConnected(): boolean;
  alarms(): readonly ActiveAlarm[];
  /** Every event as it is stored; returns the unsubscribe. */
  onEvent(listener: (event: StationEvent) => void): () => void;
  /** Every change of the active alarm list; returns the unsubscribe. */
  onAlarms(listener: (alarms: readonly ActiveAlarm[]) => void): () => void;
}
