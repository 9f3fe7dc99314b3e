import type { LoadedStation } from '../../../config/load-station-config.js';
import { checkBroker } from './broker-checks.js';
import { checkCertificate } from './certificate-check.js';
import { packageRoot } from '../../../config/package-root.js';
import { gatewayVersion } from '../../runtime/package-info.js';
import { releaseCheck, releaseRootOf } from './release-check.js';
import { checkRevocations } from './revocation-check.js';
import { checkDevices, checkSerialPort } from './device-checks.js';
import { runningGateway, runningGatewayChecks, runningGatewayRow } from './gateway-checks.js';
import { pass, renderTable, type CheckResult } from './doctor-result.js';
import { checkClock, checkDisk, inspectDatabase, readNtpSynchronized } from './host-checks.js';

export interface DoctorOptions {
  /** `timedatectl`'s answer; tests pass their own. */
  ntpSynchronized?: () => Promise<boolean | undefined>;
  now?: () => Date;
  /** The launcher's app root; by default the one this gateway runs from, if it does. */
  releaseRoot?: string | undefined;
}

/**
 * Everything a crew checks after an install, in the order they would fix it: the file, the
 * wires, the uplink, the clock, the disk. Every check runs even when an earlier one failed, so
 * one visit finds every fault. Beside a running gateway it never opens the devices or connects
 * to the broker (either would disturb the station); it says so and checks the rest.
 */
export async function runDoctor(station: LoadedStation, options: DoctorOptions = {}): Promise<{ rows: CheckResult[]; ok: boolean; text: string }> {
  const { config } = station;
  const rows: CheckResult[] = [pass('config', `${station.file}: station ${config.station.id}, ${config.devices.length} devices`)];
  const running = runningGateway(config);
  if (running) {
    rows.push(runningGatewayRow(running));
    // Checking access to a port (access(2)) does not open it; a serial device server often takes one
    // connection only, so it is not connected to.
    const ports = new Set(config.devices.flatMap((d) => ('path' in d.transport ? [d.transport.path] : [])));
    rows.push(...[...ports].map(checkSerialPort));
    rows.push(...(await runningGatewayChecks(config)));
  } else {
    rows.push(...(await checkDevices(station)));
    rows.push(...(await checkBroker(config)));
  }
  const database = inspectDatabase(config.storage.path);
  const ntp = await (options.ntpSynchronized ?? readNtpSynchronized)();
  const now = (options.now ?? (() => new Date()))();
  rows.push(...checkClock({ ntpSynchronized: ntp, floor: database.floor, now }));
  const certificate = checkCertificate(config, now);
  if (certificate) rows.push(certificate);
  const release = releaseCheck(options.releaseRoot ?? releaseRootOf(packageRoot()), gatewayVersion(), config, now);
  if (release) rows.push(release);
  const revocations = await checkRevocations(config, now);
  if (revocations) rows.push(revocations);
  rows.push(checkDisk(config.storage.path, config.storage.maxMegabytes));
  rows.push(database.row);
  const ok = rows.every((r) => r.status !== 'fail');
  return { rows, ok, text: renderTable(rows) };
}
