import type { Logger } from 'pino';
import type { Part } from '../../lifecycle/part.js';
import { Subscriptions } from '../../lifecycle/subscriptions.js';
import { DevicePresence } from '../../station/device-presence.js';
import type { DevicesPart } from './devices-part.js';
import type { RecordsPart } from './records-part.js';

/** Follows every device's online and offline, and what devices say by themselves, into the records. */
export class PresencePart implements Part {
  readonly name = 'presence';
  readonly needs = ['devices', 'records'];
  /** What it records goes out before the bridge stops: the bridge outlives it. */
  readonly after = ['bridge'];
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly options: { devices: DevicesPart; records: RecordsPart; log: Logger }) {}

  async start(): Promise<void> {
    const { devices, records, log } = this.options;
    const presence = new DevicePresence(records.recorder, records.alarms, log.child({ part: 'devices' }));
    for (const m of devices.monitors) {
      this.subscriptions.on(m, 'online', () => presence.online(m));
      this.subscriptions.on(m, 'offline', (err) => presence.offline(m, err));
      this.subscriptions.on(m, 'event', (e) => presence.said(m, e));
    }
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
  }
}
