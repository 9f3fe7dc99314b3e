import type { Logger } from 'pino';
import type { DeviceEvent } from '../../device-drivers/device.js';
import type { DeviceError } from '../../device-drivers/device-error.js';
import { logDeviceEvent } from './device-event-log.js';
import type { EventRecorder } from './event-recorder.js';
import type { StationAlarms } from './station-alarms.js';

/** A device as presence follows it: which one, and what it is. */
export interface PresentDevice {
  readonly id: string;
  readonly kind: string;
  readonly model: string | undefined;
}

/**
 * Whether each device answers, as the station records it: `device.online` / `device.offline`
 * events in the usage log and the `device.offline` alarm while one stays silent; and what a
 * device says by itself (a door opening, an exit press) as events.
 */
export class DevicePresence {
  constructor(
    private readonly recorder: EventRecorder,
    private readonly alarms: StationAlarms,
    private readonly log: Logger,
  ) {}

  online(device: PresentDevice): void {
    this.recorder.record({ type: 'device.online', device: device.id, data: { kind: device.kind, model: device.model } });
    this.alarms.clear('device.offline', device.id);
  }

  offline(device: PresentDevice, err: DeviceError): void {
    this.recorder.record({ type: 'device.offline', device: device.id, data: { code: err.code, message: err.message } });
    this.alarms.raise({ alarm: 'device.offline', severity: 'major', device: device.id, detail: { code: err.code } });
  }

  said(device: PresentDevice, event: DeviceEvent): void {
    logDeviceEvent(this.recorder, this.log.child({ device: device.id }), device.id, event);
  }
}
