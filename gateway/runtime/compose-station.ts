import type { Logger } from 'pino';
import { ulid } from 'ulid';
import type { BridgeDevice, CloudBridgeOptions } from '../../cloud-bridge/cloud-bridge.js';
import type { Clock } from '../../config/clock.js';
import type { LoadedStation } from '../../config/load-station-config.js';
import { PartRegistry } from '../lifecycle/part-registry.js';
import { internalPeriods } from './internal-periods.js';
import { AccessPart } from './parts/access-part.js';
import { BridgePart } from './parts/bridge-part.js';
import { DevicesPart } from './parts/devices-part.js';
import { DoorsPart } from './parts/doors-part.js';
import { OpsPart } from './parts/ops-part.js';
import { PresencePart } from './parts/presence-part.js';
import { RecordsPart } from './parts/records-part.js';
import { StationLogicPart } from './parts/station-logic-part.js';
import { StoragePart } from './parts/storage-part.js';
import { UpkeepPart } from './parts/upkeep-part.js';
import { bridgeEnrolmentLink } from './parts/renewal-link.js';
import { CertificateRenewal } from '../enrolment/certificate-renewal.js';
import { KeyStore } from '../enrolment/key-store.js';
import { certificateFileExpiry, daysToExpiry } from '../enrolment/certificate.js';
import { stationTopics } from '../../cloud-bridge/topics.js';
import { systemClock } from '../../config/clock.js';

export interface StationSeams {
  log: Logger;
  version: string;
  /** This boot's id (a ULID); the fleet simulator makes one per station from its seed. */
  bootId?: string | undefined;
  /** Time for the device monitors, the door supervisor, the station logic and the time floor's tick; their own defaults unless a test drives it. */
  clock?: Clock | undefined;
  /** Where STATION_GATEWAY_*_MS periods and the systemd watchdog's variables come from; default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  /** The database; default the station file's `storage.path`. */
  storePath?: string | undefined;
  /** The MQTT client factory (the fleet simulator keeps each client to kill it like a power cut). */
  connect?: CloudBridgeOptions['connect'] | undefined;
  /** Devices the bridge reports instead of the station's monitors (the fleet simulator's). */
  reportedDevices?: readonly BridgeDevice[] | undefined;
  /** How long the bridge's stop waits for the broker. */
  bridgeStopDeadlineMs?: number | undefined;
  /** gateway.started says it is the fleet simulator's. */
  simulated?: boolean | undefined;
}

/**
 * When the client certificate in use expires: the file `cloud.cert` names, read each time (an
 * enrolled station's `current` link moves to the renewed pair), undefined without one.
 */
function certificateNotAfter(config: LoadedStation['config']): (() => Date | undefined) | undefined {
  const file = config.cloud.cert;
  if (!file) return undefined;
  return () => {
    try {
      return certificateFileExpiry(file)?.notAfter;
    } catch {
      return undefined;
    }
  };
}

/** A station assembled, not started: its registry, and each part by name for the tools that use one. */
export interface ComposedStation {
  readonly bootId: string;
  readonly parts: PartRegistry;
  readonly storage: StoragePart;
  readonly records: RecordsPart;
  readonly devices: DevicesPart;
  readonly bridge: BridgePart;
  readonly access: AccessPart;
  readonly logic: StationLogicPart;
  readonly ops: OpsPart;
  /** Present for an enrolled station (its keys in the enrolment key store), which renews its own certificate. */
  readonly renewal: CertificateRenewal | undefined;
}

/**
 * The one composition root: every part of a station from its file, each told of the parts it
 * uses. Nothing starts here. `station-gateway run` starts all of it, doctor only the devices
 * (to probe them itself) and the fleet simulator only the bridge and what it needs.
 */
export function composeStation(station: LoadedStation, seams: StationSeams): ComposedStation {
  const { config } = station;
  const { log, version, clock } = seams;
  const bootId = seams.bootId ?? ulid();
  const { periods, ignored } = internalPeriods(seams.env ?? process.env);
  if (ignored.length > 0) log.warn({ ignored }, 'internal period settings ignored (whole milliseconds, at least 100)');

  const parts = new PartRegistry(log);
  const notAfter = certificateNotAfter(config);
  const storage = parts.add(new StoragePart({ path: seams.storePath ?? config.storage.path, bootId, log: log.child({ part: 'store' }) }));
  const records = parts.add(new RecordsPart({ storage, version, bootId, simulated: seams.simulated, log }));
  parts.add(new UpkeepPart({ storage, records, storageConfig: config.storage, intervalMs: periods.upkeepMs, log }));
  const devices = parts.add(new DevicesPart({ station, log, clock }));
  parts.add(new PresencePart({ devices, records, log }));
  const doors = parts.add(new DoorsPart({ station, devices, records, log, clock }));
  const bridge = parts.add(
    new BridgePart({
      config,
      version,
      bootId,
      storage,
      records,
      devices,
      takesCommands: config.access !== undefined,
      reported: seams.reportedDevices,
      connect: seams.connect,
      stopDeadlineMs: seams.bridgeStopDeadlineMs,
      certificateNotAfter: notAfter,
      log,
    }),
  );
  const logic = parts.add(new StationLogicPart({ station, storage, records, devices, doors, bridge, smokeClearMs: periods.smokeClearMs, clock, log }));
  const access = parts.add(new AccessPart({ station, storage, records, devices, doors, logic, bridge, clockTickMs: periods.clockTickMs, clock, log }));
  // Keys installed by hand are left alone: only the key store's layout can switch pairs atomically.
  const keys = KeyStore.of(config.cloud);
  const renewal = keys
    ? parts.add(
        new CertificateRenewal({
          stationId: config.station.id,
          topicPrefix: config.cloud.topicPrefix,
          keys,
          clock: clock ?? systemClock,
          link: bridgeEnrolmentLink(() => bridge.bridge, stationTopics(config.cloud.topicPrefix, config.station.id).root),
          reconnect: () => bridge.bridge.reconnect(),
          renewBeforeDays: config.cloud.renewBeforeDays,
          firstCheckMs: periods.renewalCheckMs,
          log: log.child({ part: 'renewal' }),
        }),
      )
    : undefined;
  const ops = parts.add(new OpsPart({ config, storage, records, devices, bridge, accessCounts: config.access ? () => access.counts() : undefined, env: seams.env, certificateDaysLeft: notAfter && (() => {
    const at = notAfter();
    return at && daysToExpiry(at.getTime(), (clock ?? systemClock).now());
  }), log }));
  return { bootId, parts, storage, records, devices, bridge, access, logic, ops, renewal };
}
