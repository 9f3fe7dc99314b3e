import { withDoorNumbers } from '../../../cloud-bridge/payloads.js';
import type { PointValue } from '../../../device-drivers/device-state.js';
import type { ActiveAlarm } from '../../../cloud-bridge/contract-schemas.js';
import type { StationEvent } from '../../../cloud-bridge/outbox-port.js';
import type { LivenessResult } from '../liveness.js';
import type { StationView } from '../station-view.js';

export interface DeviceStatus {
  id: string;
  kind: string;
  model: string;
  online: boolean;
  lastSeen: string | null;
  latencyMs: number | null;
  errors: number;
  points: Record<string, PointValue>;
}

/** What the page shows, as one JSON document: sent whole on every update (a few kB). */
export interface StatusSnapshot {
  station: string;
  ts: string;
  health: LivenessResult;
  cloudConnected: boolean;
  outbox: { pending: number; oldestPendingAt: string | null };
  devices: DeviceStatus[];
  alarms: readonly ActiveAlarm[];
  events: readonly StationEvent[];
}

/** The newest events, kept in memory for the page (the log itself is on disk: `station-gateway log`). */
export class RecentEvents {
  private readonly items: StationEvent[] = [];

  constructor(private readonly limit: number) {}

  add(e: StationEvent): void {
    this.items.unshift(e);
    if (this.items.length > this.limit) this.items.length = this.limit;
  }

  list(): readonly StationEvent[] {
    return this.items;
  }
}

export function statusSnapshot(view: StationView, health: LivenessResult, events: RecentEvents, now: Date = new Date()): StatusSnapshot {
  const devices = view.devices.map((d): DeviceStatus => {
    const s = d.state();
    return {
      id: d.id,
      kind: d.kind,
      model: d.model,
      online: s.online,
      lastSeen: s.health.lastSeen,
      latencyMs: s.health.latencyMs,
      errors: Object.values(s.health.errors).reduce((a, b) => a + b, 0),
      // The page labels slots as the cloud does: by the `slot` (door number) each one carries.
      points: d.kind === 'battery-cabinet' ? withDoorNumbers(s.points) : s.points,
    };
  });
  return {
    station: view.stationId,
    ts: now.toISOString(),
    health,
    cloudConnected: view.cloudConnected(),
    outbox: { pending: view.outboxPending(), oldestPendingAt: view.oldestPendingAt()?.toISOString() ?? null },
    devices,
    alarms: view.alarms(),
    events: events.list(),
  };
}
