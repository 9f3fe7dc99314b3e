import type { StationConfig } from '../../config/station-schema.js';
import type { CloudBridge } from '../../cloud-bridge/cloud-bridge.js';
import type { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import type { StationAlarms } from '../station/station-alarms.js';
import type { EventOutbox } from '../store/event-outbox.js';
import type { StationView } from './station-view.js';

export interface StationParts {
  config: StationConfig;
  monitors: readonly DeviceMonitor[];
  outbox: EventOutbox;
  alarms: StationAlarms;
  bridge: CloudBridge;
}

/** The read-only view of a running station that the operations parts get from the runtime. */
export function buildStationView(parts: StationParts): StationView {
  const { config, monitors, outbox, alarms, bridge } = parts;
  const timeouts = new Map(config.devices.map((d) => [d.id, d.timeoutMs]));
  return {
    stationId: config.station.id,
    devices: monitors,
    timeoutMs: (id) => timeouts.get(id) ?? 0,
    outboxPending: () => outbox.pendingCount(),
    oldestPendingAt: () => {
      const oldest = outbox.pending(1)[0];
      return oldest ? new Date(oldest.ts) : undefined;
    },
    cloudConnected: () => bridge.connected,
    alarms: () => alarms.active(),
    onEvent: (listener) => {
      outbox.on('appended', listener);
      return () => outbox.off('appended', listener);
    },
    onAlarms: (listener) => {
      alarms.on('changed', listener);
      return () => alarms.off('changed', listener);
    },
  };
}
