import type { Logger } from 'pino';
import { ulid } from 'ulid';
import type { LoadedStation } from '../../config/load-station-config.js';
import { CloudBridge } from '../../cloud-bridge/cloud-bridge.js';
import { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { logDeviceEvent } from '../station/device-event-log.js';
import { StationStore } from '../store/station-store.js';
import { DeviceFactory } from './device-factory.js';

export interface StationRuntimeOptions {
  station: LoadedStation;
  log: Logger;
  version: string;
}

/**
 * The composition root: builds every part of a station from its config, wires them together,
 * starts them in dependency order and stops them in reverse. No other module constructs parts
 * of another; they meet here.
 */
export class StationRuntime {
  readonly bootId = ulid();
  private store: StationStore | undefined;
  private bridge: CloudBridge | undefined;
  private factory: DeviceFactory | undefined;
  private monitors: DeviceMonitor[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: StationRuntimeOptions) {}

  async start(): Promise<void> {
    const { station, log, version } = this.options;
    const { config } = station;

    const store = new StationStore(config.storage.path, log.child({ part: 'store' }));
    store.start();
    this.store = store;
    const outbox = store.outbox;

    const factory = new DeviceFactory(station, log.child({ part: 'devices' }));
    this.factory = factory;
    this.monitors = factory.buildMonitors();

    const bridge = new CloudBridge({
      config,
      version,
      bootId: this.bootId,
      devices: this.monitors,
      outbox,
      log: log.child({ part: 'cloud' }),
    });
    this.bridge = bridge;

    for (const m of this.monitors) {
      const dlog = log.child({ part: 'devices', device: m.id });
      m.on('state', (s) => bridge.deviceState(m.id, s));
      m.on('online', () => outbox.append({ type: 'device.online', device: m.id, data: { kind: m.kind, model: m.model } }));
      m.on('offline', (err) => outbox.append({ type: 'device.offline', device: m.id, data: { code: err.code, message: err.message } }));
      m.on('event', (e) => logDeviceEvent(outbox, dlog, m.id, e));
    }

    outbox.append({ type: 'gateway.started', data: { version, bootId: this.bootId, bootCount: store.nextBootCount() } });
    bridge.start();
    await Promise.all(this.monitors.map((m) => m.start()));
    log.info({ station: config.station.id, devices: this.monitors.length, bootId: this.bootId }, 'station running');
  }

  /** Stops in reverse order; safe to call twice (a second signal waits for the first stop). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const { log } = this.options;
    // Devices first, so no new events arrive while the outbox is flushed and the database closes.
    await Promise.all(this.monitors.map((m) => m.stop()));
    await this.factory?.close();
    await this.bridge?.stop();
    this.store?.stop();
    log.info('station stopped');
  }
}
