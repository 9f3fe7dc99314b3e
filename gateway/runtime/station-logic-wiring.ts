import { ulid } from 'ulid';
import type { Logger } from 'pino';
import type { LoadedStation } from '../../config/load-station-config.js';
import type { Availability, OutOfServiceEntry } from '../../cloud-bridge/contract-schemas.js';
import type { Clock } from '../../config/clock.js';
import type { Capability } from '../../device-drivers/capabilities/capabilities.js';
import type { DeviceDriver } from '../../device-drivers/device.js';
import type { DeviceState } from '../../device-drivers/device-state.js';
import type { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { AccessDenied } from '../access/access-error.js';
import type { AccessEffects, ResourceRef } from '../access/access-service.js';
import type { AccessClaims } from '../access/token-verifier.js';
import { StationAvailability } from '../station/availability.js';
import { BatterySwap } from '../station/battery-swap.js';
import { CabinetSafety } from '../station/cabinet-safety.js';
import { DailyWindow } from '../station/daily-window.js';
import type { EventRecorder } from '../station/event-recorder.js';
import { FirstReadings } from '../station/first-readings.js';
import { OccupancyWatch } from '../station/occupancy-watch.js';
import type { StationAlarms } from '../station/station-alarms.js';
import { FireResponse, type FireDoor } from '../station/fire-response.js';
import { SmokeWatch } from '../station/smoke-watch.js';
import { WaterService } from '../station/water-service.js';
import { ResourceService } from '../station/resource-service.js';
import type { StationStore } from '../store/station-store.js';

export interface StationLogicWiringOptions {
  station: LoadedStation;
  monitors: readonly DeviceMonitor[];
  store: StationStore;
  recorder: EventRecorder;
  alarms: StationAlarms;
  publishAvailability: (a: Availability) => void;
  /** The smoke hold; SMOKE_CLEAR_MS unless a test sweeps it (internal-periods.ts). */
  smokeClearMs?: number;
  /** Told of every door the fire response releases, so an opening in the fire is not `door.forced`. */
  allowDoorOpen: (device: string, door: number, ms: number) => void;
  /** Time for every service's timers and windows; each one's own default unless a test drives it. */
  clock?: Clock | undefined;
  log: Logger;
}

/** The station logic, assembled: what access carries out, and the device states it follows. */
export interface StationLogicWiring {
  effects: Omit<AccessEffects, 'unlock'>;
  peopleInside(): number | undefined;
  /** The swaps and water sessions in progress, in words: what a restart now would cut short. */
  activeSessions(): string[];
  /** `smoke` while any cabinet's smoke latch holds (the rule availability publishes), else undefined. */
  closedForSafety(): string | undefined;
  /** Why a resource is out of service now (the station file's or an operator's cmd/service), else undefined. */
  outOfService(resource: string): OutOfServiceEntry | undefined;
  start(): void;
  stop(): void;
}

function capability<K extends Capability['kind']>(driver: DeviceDriver, device: string, kind: K): Extract<Capability, { kind: K }> {
  const c = driver.capability;
  if (c?.kind !== kind) throw new Error(`${device}: its driver has no ${kind} capability (a profile-driven Modbus device is needed)`);
  return c as Extract<Capability, { kind: K }>;
}

/**
 * Builds battery safety and swaps per cabinet, a water service per dispenser, an occupancy watch
 * per sensor and the station's availability, and feeds each its device's states. Part of the
 * composition root.
 */
export function wireStationLogic(options: StationLogicWiringOptions): StationLogicWiring {
  const { station, monitors, store, recorder, alarms, log } = options;
  const { config } = station;
  const limits = (seconds: number): number => seconds * 1000;
  // The store's record of latched safety (its alarms) is gone with a lost or damaged database.
  const recordLost = store.lost?.reason ?? (store.movedAside ? 'corrupt' : undefined);
  const { smokeClearMs } = options;
  // One clock for the whole station logic.
  const timed = { clock: options.clock };

  const cabinets = new Map<string, { safety: CabinetSafety; swap: BatterySwap }>();
  const waters = new Map<string, WaterService>();
  const occupancy: OccupancyWatch[] = [];
  const detectors: SmokeWatch[] = [];
  const feeds: Array<{ monitor: DeviceMonitor; update: (s: DeviceState) => void }> = [];

  for (const m of monitors) {
    const plog = log.child({ part: 'station', device: m.id });
    if (m.kind === 'battery-cabinet') {
      const cabinet = capability(m.driver, m.id, 'battery-cabinet');
      const safety = new CabinetSafety({
        ...timed,
        device: m.id,
        // The resource its slots are listed under in availability's outOfService (the one cmd/slot's code names).
        resource: Object.entries(config.resources).find(([, r]) => r.device === m.id)?.[0],
        cabinet,
        alarms,
        settings: store.settings,
        log: plog,
        smokeClearMs,
        recordLost,
        riseCPerMinute: config.batterySafety.riseCPerMinute,
        riseWindowMs: limits(config.batterySafety.riseWindowSeconds),
      });
      const swap = new BatterySwap({
        ...timed,
        device: m.id,
        cabinet,
        safety,
        outbox: store.outbox,
        recorder,
        log: plog,
        limits: { doorOpenMs: limits(config.swap.doorOpenSeconds), insertMs: limits(config.swap.insertSeconds), takeMs: limits(config.swap.takeSeconds) },
      });
      cabinets.set(m.id, { safety, swap });
      feeds.push({ monitor: m, update: (s) => safety.update(cabinet.reading(s)) });
    } else if (m.kind === 'water-dispenser') {
      const dispenser = capability(m.driver, m.id, 'water-dispenser');
      const water = new WaterService({
        ...timed,
        device: m.id,
        dispenser,
        alarms,
        recorder,
        log: plog,
        limits: { sessionIdleMs: limits(config.water.sessionIdleSeconds), tankLowPercent: config.water.tankLowPercent, tankOkPercent: config.water.tankOkPercent },
      });
      waters.set(m.id, water);
      feeds.push({ monitor: m, update: (s) => water.update(dispenser.reading(s)) });
    } else if (m.kind === 'smoke-detector') {
      const detector = capability(m.driver, m.id, 'smoke-detector');
      const watch = new SmokeWatch({ ...timed, device: m.id, alarms, log: plog, clearMs: smokeClearMs });
      detectors.push(watch);
      feeds.push({ monitor: m, update: (s) => watch.update(detector.reading(s)) });
    } else if (m.kind === 'occupancy') {
      const sensor = capability(m.driver, m.id, 'occupancy');
      const watch = new OccupancyWatch({
        ...timed,
        device: m.id,
        alarms,
        recorder,
        night: new DailyWindow(config.occupancy.nightHours, config.station.timezone),
        log: plog,
        limits: { stillAlarmSeconds: config.occupancy.stillAlarmSeconds, leftAfterMs: limits(config.occupancy.leftAfterSeconds) },
      });
      occupancy.push(watch);
      feeds.push({ monitor: m, update: (s) => watch.update(sensor.reading(s)) });
    }
  }

  const openHours = new DailyWindow(config.station.openHours, config.station.timezone);
  // The file's outOfService and, over it, the operators' (cmd/service), kept in the store.
  const resources = new ResourceService({ ...timed, resources: config.resources, settings: store.settings, recorder, log: log.child({ part: 'station', concern: 'service' }) });
  const entrances = Object.values(config.resources).filter((r) => r.door !== undefined);
  // What availability waits for at boot: the station file's doors (an operator's change may come later).
  const doorDevices = new Set(entrances.filter((r) => !r.outOfService).map((r) => r.device));
  const entranceMonitors = monitors.filter((m) => entrances.some((r) => r.device === m.id));
  // The entrance doors in service now: an operator may take one out, or put it back, at any time.
  const doorMonitors = (): DeviceMonitor[] => {
    const inService = new Set(Object.entries(config.resources).filter(([name, r]) => r.door !== undefined && !resources.outOfService(name)).map(([, r]) => r.device));
    return entranceMonitors.filter((m) => inService.has(m.id));
  };
  // Availability speaks once every device it reads has been heard from (read, or declared offline).
  const firstReadings = new FirstReadings(monitors.filter((m) => doorDevices.has(m.id) || feeds.some((f) => f.monitor === m)));
  const availability = new StationAvailability({
    ...timed,
    publish: options.publishAvailability,
    cabinets: [...cabinets.values()].map((c) => c.safety),
    water: [...waters.values()],
    occupancy,
    detectors,
    open: () => openHours.contains(new Date(options.clock?.now() ?? Date.now())),
    doors:
      entrances.length > 0
        ? () => {
            const inService = doorMonitors();
            return { inService: inService.length, online: inService.some((m) => m.state().online) };
          }
        : undefined,
    resources,
    settled: () => firstReadings.settled(),
  });

  // Every entrance door the station has, released in a fire whatever its lock (GB 55037-2022).
  const fireDoors: FireDoor[] = [];
  for (const r of entrances) {
    const controller = monitors.find((m) => m.id === r.device)?.driver.capability;
    if (controller?.kind === 'door-lock' && r.door !== undefined) fireDoors.push({ device: r.device, door: r.door, controller });
  }
  const fire = new FireResponse({
    ...timed,
    // Every cabinet, with a smoke role or not: a smoke latch restored from the alarm table counts too.
    sources: [...[...cabinets.values()].map((c) => c.safety), ...detectors],
    cabinets: [...cabinets.values()].map((c) => c.safety),
    doors: fireDoors,
    allowOpen: options.allowDoorOpen,
    recorder,
    log: log.child({ part: 'station', concern: 'fire' }),
  });

  const cabinetFor = (resource: ResourceRef): { safety: CabinetSafety; swap: BatterySwap } => {
    const c = cabinets.get(resource.device);
    if (!c) throw new AccessDenied('DEVICE_ERROR', `${resource.device} is not a battery cabinet`);
    return c;
  };
  const effects: Omit<AccessEffects, 'unlock'> = {
    swap: (resource, claims: AccessClaims) => cabinetFor(resource).swap.begin({ swapId: ulid(), sub: claims.sub }),
    dispense: async (resource, claims) => {
      const water = waters.get(resource.device);
      if (!water) throw new AccessDenied('DEVICE_ERROR', `${resource.device} is not a water dispenser`);
      return water.dispense({ sub: claims.sub });
    },
    operate: async (resource, claims, request) => {
      const reason = typeof request['reason'] === 'string' ? request['reason'] : undefined;
      return cabinetFor(resource).safety.setSlotEnabled(Number(request['slot']), request['enabled'] === true, claims.sub, reason);
    },
    service: async (resource, claims, request) => {
      const reason = typeof request['reason'] === 'string' ? request['reason'] : undefined;
      return { ...resources.set(resource.name, request['enabled'] === true, claims.sub, reason) };
    },
    // Before the token is spent: a refusal here leaves the token usable (a rider retries it when a
    // slot is free, an operator after fixing a typo).
    validate: (resource, claims, request) => {
      if (claims.act === 'swap') return cabinetFor(resource).swap.check();
      if (claims.act === 'dispense') return waters.get(resource.device)?.check();
      if (claims.act !== 'operate') return;
      if (request['device'] !== undefined && request['device'] !== resource.device) {
        throw new AccessDenied('FORBIDDEN', `the token is for ${resource.device}, the request names ${String(request['device'])}`);
      }
      const { safety } = cabinetFor(resource);
      const slot = Number(request['slot']);
      const exists = safety.hasSlot(slot);
      if (exists === undefined) throw new AccessDenied('DEVICE_OFFLINE', `${resource.device} has not been read yet; its slots are not known`);
      if (!exists) throw new AccessDenied('UNKNOWN_RESOURCE', `${resource.device} has slots 1..${safety.current().slots.length}, not ${slot}`);
    },
  };

  const listeners: Array<() => void> = [];
  return {
    effects,
    closedForSafety() {
      return fire.smokeAt().length > 0 ? 'smoke' : undefined;
    },
    outOfService(resource) {
      return resources.outOfService(resource);
    },
    activeSessions() {
      const out: string[] = [];
      for (const [device, c] of cabinets) {
        const swap = c.swap.current();
        if (swap) out.push(`swap ${swap.swapId} at ${device} (${swap.phase})`);
      }
      for (const [device, w] of waters) if (w.busy()) out.push(`a water session at ${device}`);
      return out;
    },
    peopleInside() {
      const counts = occupancy.map((o) => o.inside());
      if (counts.length === 0 || counts.some((c) => c === undefined)) return undefined;
      return Math.max(...(counts as number[]));
    },
    start() {
      // Before availability and access read it.
      resources.start();
      for (const c of cabinets.values()) {
        c.safety.start();
        c.swap.start();
      }
      for (const d of detectors) d.start();
      for (const { monitor, update } of feeds) {
        monitor.on('state', update);
        listeners.push(() => monitor.off('state', update));
      }
      // After the feeds: by the time the last device is heard from, its part has read it.
      firstReadings.start(() => availability.refresh());
      listeners.push(() => firstReadings.stop());
      // Doors count as usable only while their lock answers.
      for (const m of entranceMonitors) {
        const refresh = (): void => availability.refresh();
        m.on('online', refresh);
        m.on('offline', refresh);
        listeners.push(() => {
          m.off('online', refresh);
          m.off('offline', refresh);
        });
      }
      availability.start();
      // After the latches were restored: smoke on record at start releases the doors at once.
      fire.start();
    },
    stop() {
      fire.stop();
      availability.stop();
      resources.stop();
      for (const off of listeners.splice(0)) off();
      // Before the store closes: an open swap or water session ends with its event on disk.
      for (const c of cabinets.values()) c.swap.stop();
      for (const w of waters.values()) w.stop();
    },
  };
}
