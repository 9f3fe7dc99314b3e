import type { Logger } from 'pino';
import type { LoadedStation } from '../../config/load-station-config.js';
import type { CommandHandler } from '../../cloud-bridge/command-handler.js';
import type { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { AccessService, type AccessCounts, type AccessEffects } from '../access/access-service.js';
import { ClockTrust } from '../access/clock-trust.js';
import { DoorControl } from '../access/door-control.js';
import { DoorSupervisor } from '../access/door-supervisor.js';
import { ScanIntake } from '../access/scan-intake.js';
import { TokenVerifier, type Action } from '../access/token-verifier.js';
import { PassVerifier } from '../access/pass/pass-verifier.js';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import type { EventRecorder } from '../station/event-recorder.js';
import type { StationAlarms } from '../station/station-alarms.js';
import { AlarmAckEffect } from '../station/alarm-acknowledgement.js';
import { systemClock, type Clock } from '../../config/clock.js';
import type { StationStore } from '../store/station-store.js';
import { DEFAULT_PERIODS } from './internal-periods.js';
import type { PreparedReload } from '../ops/station-ops.js';
import { AccessDenied } from '../access/access-error.js';
import { DiagnoseAuthority } from '../access/diagnose-authority.js';
import { RevocationKeeper, revocationsFileFor } from '../access/revocation/revocation-keeper.js';
import { TrustedKeySet } from '../access/trusted-key-set.js';
import type { RevocationStatus } from '../../cloud-bridge/revocation-contract.js';
import type { OutOfServiceEntry } from '../../cloud-bridge/contract-schemas.js';
import { collectDoctorFacts } from '../ops/diagnostics/doctor-facts.js';
import { DiagnosticsService, openUsageLog, type DiagnosticsCommand } from '../ops/diagnostics/diagnostics-service.js';

export interface AccessWiringOptions {
  station: LoadedStation;
  monitors: readonly DeviceMonitor[];
  store: StationStore;
  recorder: EventRecorder;
  alarms: StationAlarms;
  /** Watches the doors against what was allowed; told of every unlock (the doors part's). */
  supervisor: DoorSupervisor;
  /** Swaps, water and cabinet operation, from the station logic. */
  effects: Omit<AccessEffects, 'unlock'>;
  /** People inside now, from the occupancy logic; undefined when unknown. */
  peopleInside: () => number | undefined;
  /** Why the station is closed to workers for safety now (smoke), from the station logic. */
  closedForSafety?: () => string | undefined;
  /** Why a resource is out of service by an operator's command now, from the station logic. */
  outOfService?: (resource: string) => OutOfServiceEntry | undefined;
  log: Logger;
  /** How often the time floor follows a trusted clock (default a minute; internal-periods.ts). */
  clockTickMs?: number;
  /** The tick's timer; the system clock (which keeps no stopping process alive) unless a test drives it. */
  clock?: Clock | undefined;
  /** The database file, beside which the fleet's revocation list is kept (`:memory:`: kept in memory only). */
  storagePath: string;
  /** How the fleet's retained revocation list arrives (the bridge's followFleet); the function returned stops it. */
  followRevocations?: ((listener: (payload: Buffer) => void) => () => void) | undefined;
  /** Told which revocation list the station honours, at start and on every change (for S/status). */
  onRevocations?: ((status: RevocationStatus) => void) | undefined;
}

/** The access side of a station, assembled: what the runtime hands the bridge and the devices. */
export interface AccessWiring {
  /** For the cloud bridge: unlock, swap, dispense, slot, and the diagnostics logs and doctor. Absent when the station has no `access` section. */
  commands: CommandHandler | undefined;
  /** A scan read at a station scanner: a credential, decided like a cloud command. */
  scanned(device: string, text: string): void;
  /** Junk and rate-limit counts, for metrics; absent when the station has no `access` section. */
  counts: (() => AccessCounts) | undefined;
  /**
   * On reload: reads the trusted keys file again (its content, whether or not its path changed)
   * and returns the swap to apply with the rest of the reload. Throws ConfigError for a file
   * that no longer validates; the keys in use stay.
   */
  prepareKeys(file: string | undefined): Promise<PreparedReload | undefined>;
  start(): void;
  stop(): void;
}

/** The door supervisor of a station, with each entrance's held-open time from its file. */
export function doorSupervisorFor(station: LoadedStation, recorder: EventRecorder, alarms: StationAlarms, log: Logger, clock?: Clock): DoorSupervisor {
  const heldSeconds = new Map<string, number>();
  for (const r of Object.values(station.config.resources)) if (r.door !== undefined) heldSeconds.set(`${r.device}:${r.door}`, r.heldOpenSeconds);
  return new DoorSupervisor({ recorder, alarms, log: log.child({ part: 'doors' }), heldSeconds, clock });
}

const COMMAND_ACTION: Readonly<Record<string, Action>> = { unlock: 'unlock', swap: 'swap', dispense: 'dispense', slot: 'operate', ack: 'operate', service: 'operate', logs: 'diagnose', doctor: 'diagnose' };

/**
 * The action a command asks of the access decision. A command the table does not name is refused:
 * decided as an unlock by default, a command added to the router but forgotten here would open a door.
 */
function commandAction(name: string): Action {
  const action = COMMAND_ACTION[name];
  if (!action) throw new AccessDenied('BAD_REQUEST', `the access logic does not carry out "${name}" commands`);
  return action;
}

/** Read-only commands for an operator's `diagnose` token; they go to the diagnostics, never to the access decision. */
const isDiagnostics = (name: string): name is DiagnosticsCommand => COMMAND_ACTION[name] === 'diagnose';

/**
 * Builds token verification, clock trust, the access decision, door control and supervision from
 * the station's config. Part of the composition root: nothing here is reached from elsewhere.
 */
export async function wireAccess(options: AccessWiringOptions): Promise<AccessWiring> {
  const { station, monitors, store, log } = options;
  const { config } = station;
  const byId = new Map(monitors.map((m) => [m.id, m]));
  const kinds = new Map(config.devices.map((d) => [d.id, d.kind]));

  const { supervisor } = options;
  const doors = new DoorControl(byId, supervisor);

  const access = config.access;
  if (!access) {
    log.warn('no access section: token commands are refused and scans ignored');
    return {
      commands: undefined,
      counts: undefined,
      prepareKeys: async () => undefined,
      scanned: () => undefined,
      start: () => undefined,
      stop: () => undefined,
    };
  }

  // One set for tokens, passes and the revocation list: a reload swaps it for all three at once.
  const keys = new TrustedKeySet(await loadTrustedKeys(access.trustedKeys));
  const revocations = new RevocationKeeper({
    file: revocationsFileFor(options.storagePath),
    keys,
    follow: options.followRevocations,
    onStatus: options.onRevocations,
    log: log.child({ part: 'revocations' }),
  });
  await revocations.start();
  const keysLog = log.child({ part: 'access' });
  const clock = new ClockTrust({ mode: access.clockTrust, floor: store.timeFloor, skewMs: access.clockSkewSeconds * 1000, log: log.child({ part: 'clock' }) });
  const verifier = new TokenVerifier({
    stationId: config.station.id,
    keys,
    maxTokenSeconds: access.maxTokenSeconds,
    skewSeconds: access.clockSkewSeconds,
    untrustedClock: access.untrustedClock,
    issuedAfter: () => store.resetAt,
  });
  // The same trusted keys as tokens: the fleet signs passes with its access keys (docs/passes.md).
  const passes = new PassVerifier({
    keys,
    stationId: config.station.id,
    stationCode: config.station.code,
    stationGroups: config.station.groups,
    skewSeconds: access.clockSkewSeconds,
    untrustedClock: access.untrustedClock,
    maxPassSeconds: access.maxPassSeconds,
  });
  const service = new AccessService({
    config,
    verifier,
    passes,
    revocations,
    clock,
    replay: store.replayCache,
    outbox: store.outbox,
    effects: { ...options.effects, unlock: (resource) => doors.unlock(resource), acknowledge: new AlarmAckEffect(options.alarms, log.child({ part: 'alarms' })) },
    deviceKind: (id) => kinds.get(id),
    deviceOnline: (id) => byId.get(id)?.state().online ?? false,
    peopleInside: options.peopleInside,
    closedForSafety: options.closedForSafety,
    outOfService: options.outOfService,
    log: log.child({ part: 'access' }),
  });
  const scans = new ScanIntake(service, log.child({ part: 'scanner' }));
  const diagnostics = new DiagnosticsService({
    authority: new DiagnoseAuthority({ stationId: config.station.id, verifier, passes, revocations, clock }),
    outbox: store.outbox,
    // Its own read-only connection cannot derive: the sessions catch up on the store's first.
    openLog: () => {
      store.deriveSessions();
      return openUsageLog(config.storage.path);
    },
    doctor: () => collectDoctorFacts({ config, monitors, outbox: store.outbox, clock: () => clock.read() }),
    log: log.child({ part: 'diagnostics' }),
  });
  let cancelTick: (() => void) | undefined;
  const timer = options.clock ?? systemClock;
  const tickMs = options.clockTickMs ?? DEFAULT_PERIODS.clockTickMs;
  // The floor goes to disk once a tick: each tick's raise is a whole step, a token's iat between
  // ticks waits for the next (time-floor.ts says what that costs and saves).
  store.timeFloor.resolutionMs = tickMs;
  const clockLog = log.child({ part: 'clock' });
  // From a timer nothing may escape: the floor holds a full disk itself, anything else is logged.
  const tickSafely = (): void => {
    try {
      clock.tick();
    } catch (err) {
      clockLog.error({ err, code: (err as { code?: unknown }).code }, 'time floor tick failed; tried again next tick');
    }
  };

  return {
    commands: {
      handle: (name, request, context) =>
        isDiagnostics(name)
          ? diagnostics.handle(name, request as never, context.replyOverheadBytes)
          : service.handle(
              // ack acts on the station itself, never on a resource: nothing about it opens anything.
              // service acts on the resource itself, whatever its kind does.
              name === 'ack'
                ? { kind: 'cloud', command: 'operate', target: 'station' }
                : name === 'service'
                  ? { kind: 'cloud', command: 'operate', target: 'resource' }
                  : { kind: 'cloud', command: commandAction(name) },
              request.token,
              request as Record<string, unknown>,
            ),
    },
    counts: () => service.counts(),
    async prepareKeys(file) {
      if (file === undefined) return undefined;
      const next = await loadTrustedKeys(file);
      const { added, removed, replaced } = keys.compare(next);
      const changed = added.length + removed.length + replaced.length > 0;
      return {
        changed: changed ? ['access.trustedKeys'] : [],
        apply() {
          // One assignment for tokens, passes and the next revocation list; the kept list stays
          // (it verified when it was accepted).
          const done = keys.replace(next);
          keysLog.info({ file, ...done, kids: [...next.keys()] }, changed ? 'trusted keys reloaded' : 'trusted keys read again: unchanged');
        },
      };
    },
    scanned(device, text) {
      void scans.scanned(device, text);
    },
    start() {
      // The floor follows a trusted clock once a minute: enough to bound a power cut, light on the SD card.
      const every = (): void => {
        tickSafely();
        cancelTick = timer.after(tickMs, every);
      };
      every();
    },
    stop() {
      cancelTick?.();
      cancelTick = undefined;
      revocations.stop();
    },
  };
}
