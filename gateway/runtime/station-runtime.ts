import type { Logger } from 'pino';
import { ulid } from 'ulid';
import type { LoadedStation } from '../../config/load-station-config.js';
import { CloudBridge } from '../../cloud-bridge/cloud-bridge.js';
import type { Availability } from '../../cloud-bridge/contract-schemas.js';
import { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { logDeviceEvent } from '../station/device-event-log.js';
import { EventRecorder } from '../station/event-recorder.js';
import { StationAlarms } from '../station/station-alarms.js';
import { StoreUpkeep } from '../station/store-upkeep.js';
import { StationStore } from '../store/station-store.js';
import { GatewayPidFile } from './gateway-pid-file.js';
import { DeviceFactory } from './device-factory.js';
import { doorSupervisorFor, wireAccess, type AccessWiring } from './access-wiring.js';
import { internalPeriods } from './internal-periods.js';
import { wireStationLogic, type StationLogicWiring } from './station-logic-wiring.js';
import { buildStationView } from '../ops/build-station-view.js';
import { StationOps } from '../ops/station-ops.js';
import type { ReloadPlan } from '../ops/config-reload.js';
import type { PreparedReload } from '../ops/station-ops.js';
import { ConfigError, formatProblem } from '../../config/config-error.js';

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
  private ops: StationOps | undefined;
  private access: AccessWiring | undefined;
  private logic: StationLogicWiring | undefined;
  private pidFile: GatewayPidFile | undefined;

  constructor(private readonly options: StationRuntimeOptions) {}

  async start(): Promise<void> {
    const { station, log, version } = this.options;
    const { config } = station;

    const storeLog = log.child({ part: 'store' });
    const { periods, ignored } = internalPeriods(process.env);
    if (ignored.length > 0) log.warn({ ignored }, 'internal period settings ignored (whole milliseconds, at least 100)');
    const store = new StationStore(config.storage.path, storeLog);
    store.start();
    this.store = store;
    // Next to the database, once its directory exists: doctor reads it to leave a running gateway alone.
    this.pidFile = new GatewayPidFile(config.storage.path, this.bootId, storeLog);
    this.pidFile.start();
    const outbox = store.outbox;
    const alarms = new StationAlarms(store.alarms, outbox, log.child({ part: 'alarms' }));
    const recorder = new EventRecorder(outbox, storeLog, (full) => {
      if (full) return alarms.raiseVolatile({ alarm: 'store.disk-full', severity: 'critical' });
      alarms.clearVolatile('store.disk-full');
      // Room again: the boot counter and time floor held meanwhile go to disk now, not at the next upkeep.
      try {
        store.flushHeld();
      } catch (err) {
        storeLog.error({ err }, 'held values could not be written');
      }
    });
    this.recorder = recorder;
    const moved = store.movedAside;
    if (moved) alarms.raise({ alarm: 'store.corrupt', severity: 'major', detail: { movedTo: moved.movedTo, reason: moved.reason } });
    // A database gone, emptied or replaced where the anchor remembers an earlier one: as serious as a damaged one.
    const lost = store.lost;
    if (lost) alarms.raise({ alarm: 'store.lost', severity: 'major', detail: { reason: lost.reason, life: lost.life, resetAt: store.resetAt?.toISOString() ?? null } });

    const factory = new DeviceFactory(station, log.child({ part: 'devices' }));
    this.factory = factory;
    this.monitors = factory.buildMonitors();

    // The bridge is made below; availability reaches it through this late binding.
    let publishAvailability: (a: Availability) => void = () => undefined;
    const supervisor = doorSupervisorFor(station, recorder, alarms, log);
    const logic = wireStationLogic({
      station,
      monitors: this.monitors,
      store,
      recorder,
      alarms,
      publishAvailability: (a) => publishAvailability(a),
      smokeClearMs: periods.smokeClearMs,
      allowDoorOpen: (device, door, ms) => supervisor.unlocked(device, door, ms),
      log,
    });
    this.logic = logic;
    const access = await wireAccess({
      station,
      monitors: this.monitors,
      store,
      recorder,
      alarms,
      supervisor,
      effects: logic.effects,
      peopleInside: () => logic.peopleInside(),
      closedForSafety: () => logic.closedForSafety(),
      log,
      clockTickMs: periods.clockTickMs,
    });
    this.access = access;

    const bridge = new CloudBridge({
      config,
      version,
      bootId: this.bootId,
      devices: this.monitors,
      outbox,
      ...(access.commands ? { commands: access.commands } : {}),
      alarms,
      log: log.child({ part: 'cloud' }),
    });
    this.bridge = bridge;
    publishAvailability = (a) => bridge.setAvailability(a);
    alarms.on('changed', (list) => bridge.setAlarms(list));
    bridge.setAlarms(alarms.active());
    // Before the first event, so the metrics count every event of this boot.
    this.ops = new StationOps({
      config,
      log: log.child({ part: 'ops' }),
      view: buildStationView({ config, monitors: this.monitors, outbox, alarms, bridge }),
      ...(access.counts ? { accessCounts: access.counts } : {}),
      inboundCounts: () => bridge.inboundCounts(),
    });
    await this.ops.start();

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
      m.on('event', (e) => {
        logDeviceEvent(recorder, dlog, m.id, e);
        access.deviceEvent(m.id, e);
      });
    }
    access.start();
    logic.start();

    recorder.record({ type: 'gateway.started', data: { version, bootId: this.bootId, bootCount: store.nextBootCount() } });
    this.upkeep = new StoreUpkeep(store, alarms, { retainDays: config.storage.retainDays, maxBytes: config.storage.maxMegabytes * 1024 * 1024 }, storeLog, periods.upkeepMs);
    this.upkeep.start();
    bridge.start();
    await Promise.all(this.monitors.map((m) => m.start()));
    // Last: the watchdog's READY=1 describes a station that runs.
    this.ops.ready();
    log.info({ station: config.station.id, devices: this.monitors.length, bootId: this.bootId }, 'station running');
  }

  /** SIGHUP: applies a reloaded station file where that is safe while running (gateway/ops/config-reload.ts). */
  async reload(next: LoadedStation): Promise<ReloadPlan | undefined> {
    const { log } = this.options;
    let keys: PreparedReload | undefined;
    try {
      // Read and checked before anything is applied: a reload is all or nothing.
      keys = await this.access?.prepareKeys(next.config.access?.trustedKeys);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.error({ code: 'RELOAD_REFUSED', problems: err.problems.map(formatProblem) }, 'reload refused: the trusted keys file does not validate; nothing was changed, the keys in use stay');
      return undefined;
    }
    return this.ops?.reload(next.config, log, keys);
  }

  /** Stops in reverse order; safe to call twice (a second signal waits for the first stop). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const { log } = this.options;
    await this.ops?.stop();
    // Devices first, so no new events arrive while the outbox is flushed and the database closes.
    await Promise.all(this.monitors.map((m) => m.stop()));
    await this.factory?.close();
    this.access?.stop();
    this.logic?.stop();
    this.upkeep?.stop();
    this.recorder?.stop();
    await this.bridge?.stop();
    this.store?.stop();
    this.pidFile?.stop();
    log.info('station stopped');
  }
}
