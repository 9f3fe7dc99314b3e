import type { Logger } from 'pino';
import type { DeviceEvent } from '../../device-drivers/device.js';
import type { EventRecorder } from './event-recorder.js';

/** Device events that are usage or safety facts go to the log and the cloud under these names. */
const LOGGED: Readonly<Record<string, string>> = {
  'door.opened': 'door.opened',
  'door.closed': 'door.closed',
  'exit.pressed': 'exit.pressed',
};

/**
 * Turns what devices say by themselves into contract events in the durable outbox. Scans are
 * not logged here: their text is a credential, and the access logic decides what a scan means.
 */
export function logDeviceEvent(recorder: EventRecorder, log: Logger, deviceId: string, event: DeviceEvent): void {
  const type = LOGGED[event.type];
  if (type) {
    recorder.record({ type, device: deviceId, data: event.data });
    return;
  }
  if (event.type === 'scan') {
    const text = event.data['text'];
    log.info({ device: deviceId, length: typeof text === 'string' ? text.length : 0 }, 'scan read');
    return;
  }
  log.info({ device: deviceId, event: event.type, data: event.data }, 'device event');
}
