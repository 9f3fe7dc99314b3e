import { existsSync, statSync, statfsSync } from 'node:fs';
import type { DoctorResult } from '../../../cloud-bridge/contract-schemas.js';
import type { StationConfig } from '../../../config/station-schema.js';
import type { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import type { ClockReading } from '../../access/clock-trust.js';
import { daysToExpiry } from '../../enrolment/certificate.js';
import { certificateCheck, readCertificate, type CertificateReading } from '../doctor/certificate-check.js';
import type { EventOutbox } from '../../store/event-outbox.js';
import { fail, pass, warn, type CheckResult } from '../doctor/doctor-result.js';
import { checkClock, checkDisk } from '../doctor/host-checks.js';
import { readSdCardWear } from './sd-card-wear.js';

export interface DoctorFactSources {
  config: StationConfig;
  monitors: readonly DeviceMonitor[];
  outbox: Pick<EventOutbox, 'pendingCount' | 'pending'>;
  /** The clock as the access checks see it now. */
  clock: () => ClockReading;
  statfs?: Parameters<typeof checkDisk>[2];
  /** `/sys` on a station; tests give their own tree. */
  sysRoot?: string;
}

/**
 * The doctor checks that are safe beside a running station, from what its parts already keep:
 * the monitors' health and poll counters (no device is opened or probed), the clock trust, the
 * disk, the store's outbox, the certificate file, the card's own wear report. No second broker
 * connection either: the answer travels on the station's own.
 */
export function collectDoctorFacts(s: DoctorFactSources): DoctorResult {
  const { config } = s;
  const reading = s.clock();
  const checks: CheckResult[] = [];
  const byId = new Map(s.monitors.map((m) => [m.id, m]));
  const devices = config.devices.flatMap((d) => {
    const m = byId.get(d.id);
    if (!m) return [];
    const state = m.state();
    const t = d.transport;
    const bus = 'host' in t ? `${t.host}:${t.port}` : t.path;
    const unitId = 'unitId' in t ? t.unitId : undefined;
    const errors = Object.values(state.health.errors).reduce((n, k) => n + k, 0);
    checks.push(
      state.online
        ? pass(`device ${d.id}`, `online on ${bus}${unitId !== undefined ? ` unit ${unitId}` : ''}, ${m.pollStats().polls} polls, ${errors} failed`)
        : fail(`device ${d.id}`, `offline on ${bus}${unitId !== undefined ? ` unit ${unitId}` : ''}; errors ${JSON.stringify(state.health.errors)}`),
    );
    return [
      {
        id: d.id,
        kind: d.kind,
        model: m.model,
        bus,
        ...(unitId !== undefined ? { unitId } : {}),
        online: state.online,
        lastSeen: state.health.lastSeen,
        latencyMs: state.health.latencyMs,
        polls: m.pollStats().polls,
        errors: { ...state.health.errors },
      },
    ];
  });

  const floor = reading.floor;
  checks.push(
    reading.trusted ? pass('clock trusted', `${reading.reason}; now ${reading.now.toISOString()}`) : fail('clock trusted', `${reading.reason}: access checks use ${reading.now.toISOString()}`),
    ...checkClock({ ntpSynchronized: undefined, floor: floor ? { at: floor, source: 'store' } : undefined, now: new Date() }).filter((r) => r.check !== 'clock synchronised'),
  );

  const path = config.storage.path;
  const { row: diskRow, facts: disk } = diskFacts(path, config.storage.maxMegabytes, s.statfs);
  checks.push(diskRow);

  const pending = s.outbox.pendingCount();
  const oldest = s.outbox.pending(1)[0]?.ts ?? null;
  const bytes = fileBytes(path) + fileBytes(`${path}-wal`);
  checks.push(pass('database', `${Math.round(bytes / 1024)} KB, ${pending} events pending${oldest ? ` since ${oldest}` : ''}`));

  // Read once, for the row (doctor's own rule) and for the facts.
  // The broker judges a certificate by the wall clock, not by the access logic's floor.
  const wall = new Date();
  const certificateRead = config.cloud.cert === undefined ? undefined : readCertificate(config.cloud.cert);
  if (certificateRead) checks.push(certificateCheck(certificateRead, config.cloud.renewBeforeDays, wall));
  const certificate = certificateFacts(certificateRead, wall);

  const sdCard = readSdCardWear('mmcblk0', s.sysRoot);
  if (sdCard.preEol === 'urgent') checks.push(fail('sd card wear', `${sdCard.device} reports pre-EOL urgent: replace the card`));
  else if (sdCard.preEol === 'warning') checks.push(warn('sd card wear', `${sdCard.device} reports pre-EOL warning`));
  else if (sdCard.preEol === 'normal') checks.push(pass('sd card wear', `${sdCard.device} reports normal (life_time ${JSON.stringify(sdCard.lifeTime)})`));
  else checks.push(warn('sd card wear', `unknown: ${sdCard.device} reports no wear (most SD cards do not)`));

  return {
    station: config.station.id,
    ts: new Date().toISOString(),
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
    devices,
    clock: { now: reading.now.toISOString(), trusted: reading.trusted, reason: reading.reason, floor: floor ? floor.toISOString() : null },
    disk,
    database: { path, bytes, pending, oldestPending: oldest },
    certificate,
    sdCard,
  };
}

/** The disk check's row, and the numbers it read: one statfs for both. */
function diskFacts(path: string, budgetMegabytes: number, statfs: DoctorFactSources['statfs']): { row: CheckResult; facts: DoctorResult['disk'] } {
  const budgetBytes = budgetMegabytes * 1024 * 1024;
  let facts: DoctorResult['disk'] = { path, freeBytes: 0, totalBytes: 0, budgetBytes };
  const row = checkDisk(path, budgetMegabytes, (dir) => {
    const st = (statfs ?? statfsSync)(dir);
    facts = { path: dir, freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize, budgetBytes };
    return st;
  });
  return { row, facts };
}

function fileBytes(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

function certificateFacts(read: CertificateReading | undefined, now: Date): DoctorResult['certificate'] {
  if (!read) return null;
  if ('error' in read) return { file: read.file, error: read.error };
  const { notAfter, commonName } = read.dates;
  return { file: read.file, notAfter: notAfter.toISOString(), daysToExpiry: daysToExpiry(notAfter.getTime(), now.getTime()), commonName: commonName ?? null };
}
