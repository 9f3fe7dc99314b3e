import type { Logger } from 'pino';
import { ulid } from 'ulid';
import type { LoadedStation } from '../../config/load-station-config.js';
import { CloudBridge } from '../../cloud-bridge/cloud-bridge.js';
import { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { logDeviceEvent } from '../station/device-event-log.js';
import { EventRecorder } from '../station/event-recorder.js';
import { StationAlarms } from '../station/station-alarms.js';
import { StoreUpkeep } from '../station/store-upkeep.js';
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
  private upkeep: StoreUpkeep | undefined;
  private recorder: EventRecorder | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: StationRuntimeOptions) {}

  async start(): Promise<void> {
    const { station, log, version } = this.options;
    const { config } = station;

    const storeLog = log.child({ part: 'store' });
    const store = new StationStore(config.storage.path, storeLog);
    store.start();
    this.store = store;
    const outbox = store.outbox;
    const alarms = new StationAlarms(store.alarms, outbox, log.child({ part: 'alarms' }));
    const recorder = new EventRecorder(outbox, storeLog, (full) =>
      full ? alarms.raiseVolatile({ alarm: 'store.disk-full', severity: 'critical' }) : alarms.clearVolatile('store.disk-full'),
    );
    this.recorder = recorder;
    const moved = store.movedAside;
    if (moved) alarms.raise({ alarm: 'store.corrupt', severity: 'major', detail: { movedTo: moved.movedTo, reason: moved.reason } });

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
    alarms.on('changed', (list) => bridge.setAlarms(list));
    bridge.setAlarms(alarms.active());

    for (const m of this.monitors) {
      const dlog = log.child({ part: 'devices', device: m.id });
      m.on('state', (s) => bridge.deviceState(m.id, s));
      m.on('online', () => {
        recorder.record({ type: 'device.online', device: m.id, data: { kind: m.kind, model: m.model } });
        alarms.clear('device.offline', m.id);
      });
      m.on('offline', (err) => {
        recorder.record({ type: 'device.offline', device: m.id, data: { code: err.code, message: err.message } });
        alarms.raise({ alarm: 'device.offline', severity: 'major', device: m.id, detail: { code: err.code } });
      });
      m.on('event', (e) => logDeviceEvent(recorder, dlog, m.id, e));
    }

    recorder.record({ type: 'gateway.started', data: { version, bootId: this.bootId, bootCount: store.nextBootCount() } });
    this.upkeep = new StoreUpkeep(store, alarms, { retainDays: config.storage.retainDays, maxBytes: config.storage.maxMegabytes * 1024 * 1024 }, storeLog);
    this.upkeep.start();
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
    this.upkeep?.stop();
    this.recorder?.stop();
    await this.bridge?.stop();
    this.store?.stop();
    log.info('station stopped');
  }
}
