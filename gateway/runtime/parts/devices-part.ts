import type { Logger } from 'pino';
import type { Clock } from '../../../config/clock.js';
import type { LoadedStation } from '../../../config/load-station-config.js';
import type { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import type { Part } from '../../lifecycle/part.js';
import { DeviceFactory } from '../device-factory.js';
import { started } from './started.js';

export interface DevicesPartOptions {
  station: LoadedStation;
  log: Logger;
  clock?: Clock | undefined;
}

/**
 * The station's devices: drivers and their monitors, built at start (no I/O: doctor builds them
 * to probe each itself), polled once the station runs, and their buses and boards closed at stop.
 */
export class DevicesPart implements Part {
  readonly name = 'devices';
  private factory: DeviceFactory | undefined;
  private current: DeviceMonitor[] | undefined;
  private opening: Promise<void> = Promise.resolve();

  constructor(private readonly options: DevicesPartOptions) {}

  get monitors(): readonly DeviceMonitor[] {
    return started(this.current, this.name, 'the device monitors');
  }

  async start(): Promise<void> {
    const { station, log, clock } = this.options;
    this.factory = new DeviceFactory(station, log.child({ part: 'devices' }), clock);
    this.current = this.factory.buildMonitors();
  }

  /** Not awaited here: a device that takes its timeout to open must not hold up the broker connection. */
  async run(): Promise<void> {
    this.opening = Promise.all(this.monitors.map((m) => m.start())).then(() => undefined);
  }

  /** Settles once every device has been opened or has failed to (READY=1 waits for it). */
  opened(): Promise<void> {
    return this.opening;
  }

  /** First of all at stop: no device event arrives while the others finish and the outbox is flushed. */
  async halt(): Promise<void> {
    await Promise.all((this.current ?? []).map((m) => m.stop()));
  }

  async stop(): Promise<void> {
    await this.halt();
    await this.factory?.close();
  }
}
