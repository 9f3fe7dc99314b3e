import type { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';

/** A monitor with its online/offline transitions counted, as the sweeps wait on them. */
export interface WatchedMonitor {
  readonly monitor: DeviceMonitor;
  readonly onlines: number;
  readonly offlines: number;
}

export function watchMonitor(monitor: DeviceMonitor): WatchedMonitor {
  const counts = { onlines: 0, offlines: 0 };
  monitor.on('online', () => counts.onlines++);
  monitor.on('offline', () => counts.offlines++);
  return {
    monitor,
    get onlines() {
      return counts.onlines;
    },
    get offlines() {
      return counts.offlines;
    },
  };
}
