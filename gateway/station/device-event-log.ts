import type { Logger } from 'pino';
import type { DeviceEvent } from '../../device-drivers/device.js';
import type { EventRecorder } from './event-recorder.js';

/**
 * Turns what devices say by themselves into contract events in the durable outbox: door
 * openings, closings and exit presses are usage and safety facts. Scans are not logged here:
 * their text is a credential, and the access logic decides what a scan means.
 */
export function logDeviceEvent(recorder: EventRecorder, log: Logger, deviceId: string, event: DeviceEvent): void {
  switch (event.type) {
    case 'door.opened':
    case 'door.closed':
    case 'exit.pressed':
      recorder.record({ type: event.type, device: deviceId, data: { door: event.data.door } });
      return;
    case 'scan':
      log.info({ device: deviceId, length: event.data.text.length }, 'scan read');
      return;
    default:
      log.info({ device: deviceId, event: event.type, data: event.data }, 'device event');
  }
}
