import type { Logger } from 'pino';
import type { LoadedStation } from '../../config/load-station-config.js';
import type { CommandHandler } from '../../cloud-bridge/command-handler.js';
import type { DeviceEvent } from '../../device-drivers/device.js';
import type { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { AccessService, type AccessEffects } from '../access/access-service.js';
import { ClockTrust } from '../access/clock-trust.js';
import { DoorControl } from '../access/door-control.js';
import { DoorSupervisor } from '../access/door-supervisor.js';
import { ScanIntake } from '../access/scan-intake.js';
import { TokenVerifier, type Action } from '../access/token-verifier.js';
import { loadTrustedKeys } from '../access/trusted-keys.js';
import type { EventRecorder } from '../station/event-recorder.js';
import type { StationAlarms } from '../station/station-alarms.js';
import type { StationStore } from '../store/station-store.js';

export interface AccessWiringOptions {
  station: LoadedStation;
  monitors: readonly DeviceMonitor[];
  store: StationStore;
  recorder: EventRecorder;
  alarms: StationAlarms;
  /** Swaps, water and cabinet operation, from the station logic. */
  effects: Omit<AccessEffects, 'unlock'>;
  /** People inside now, from the occupancy logic; undefined when unknown. */
  peopleInside: () => number | undefined;
  log: Logger;
}

/** The access side of a station, assembled: what the runtime hands the bridge and the devices. */
export interface AccessWiring {
  /** For the cloud bridge: unlock, swap, dispense, slot. Absent when the station has no `access` section. */
  commands: CommandHandler | undefined;
  /** Every device event goes here (door contacts, exit buttons, scans). */
  deviceEvent(device: string, event: DeviceEvent): void;
  start(): void;
  stop(): void;
}

const COMMAND_ACTION: Readonly<Record<string, Action>> = { unlock: 'unlock', swap: 'swap', dispense: 'dispense', slot: 'operate' };

/**
 * Builds token verification, clock trust, the access decision, door control and supervision from
 * the station's config. Part of the composition root: nothing here is reached from elsewhere.
 */
export async function wireAccess(options: AccessWiringOptions): Promise<AccessWiring> {
  const { station, monitors, store, recorder, alarms, log } = options;
  const { config } = station;
  const byId = new Map(monitors.map((m) => [m.id, m]));
  const kinds = new Map(config.devices.map((d) => [d.id, d.kind]));

  const heldSeconds = new Map<string, number>();
  for (const r of Object.values(config.resources)) if (r.door !== undefined) heldSeconds.set(`${r.device}:${r.door}`, r.heldOpenSeconds);
  const supervisor = new DoorSupervisor({ recorder, alarms, log: log.child({ part: 'doors' }), heldSeconds });
  const doors = new DoorControl(byId, supervisor);

  const access = config.access;
  if (!access) {
    log.warn('no access section: token commands are refused and scans ignored');
    return {
      commands: undefined,
      deviceEvent: (device, e) => supervisor.deviceEvent(device, e.type, e.data),
      start: () => undefined,
      stop: () => supervisor.stop(),
    };
  }

  const keys = await loadTrustedKeys(access.trustedKeys);
  const clock = new ClockTrust({ mode: access.clockTrust, floor: store.timeFloor, skewMs: access.clockSkewSeconds * 1000, log: log.child({ part: 'clock' }) });
  const service = new AccessService({
    config,
    verifier: new TokenVerifier({ stationId: config.station.id, keys, maxTokenSeconds: access.maxTokenSeconds, skewSeconds: access.clockSkewSeconds, untrustedClock: access.untrustedClock }),
    clock,
    replay: store.replayCache,
    outbox: store.outbox,
    effects: { ...options.effects, unlock: (resource) => doors.unlock(resource) },
    deviceKind: (id) => kinds.get(id),
    deviceOnline: (id) => byId.get(id)?.state().online ?? false,
    peopleInside: options.peopleInside,
    log: log.child({ part: 'access' }),
  });
  const scans = new ScanIntake(service, log.child({ part: 'scanner' }));
  let tick: NodeJS.Timeout | undefined;

  return {
    commands: {
      handle: (name, request, _context) => service.handle({ kind: 'cloud', command: COMMAND_ACTION[name] ?? 'unlock' }, request.token, request as Record<string, unknown>),
    },
    deviceEvent(device, e) {
      if (e.type === 'scan' && typeof e.data['text'] === 'string') void scans.scanned(device, e.data['text']);
      else supervisor.deviceEvent(device, e.type, e.data);
    },
    start() {
      clock.tick();
      // The floor follows a trusted clock once a minute: enough to bound a power cut, light on the SD card.
      tick = setInterval(() => clock.tick(), 60_000);
      tick.unref();
    },
    stop() {
      clearInterval(tick);
      supervisor.stop();
    },
  };
}
