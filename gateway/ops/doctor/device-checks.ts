import { accessSync, constants } from 'node:fs';
import { createConnection } from 'node:net';
import type { LoadedStation } from '../../../config/load-station-config.js';
import type { DeviceConfig } from '../../../config/station-schema.js';
import { toDeviceError } from '../../../device-drivers/device-error.js';
import type { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { silentLogger } from '../../runtime/logger.js';
import { composeStation } from '../../runtime/compose-station.js';
import { gatewayVersion } from '../../runtime/package-info.js';
import { fail, pass, warn, type CheckResult } from './doctor-result.js';

const TRIES = 3;
/** A bus that backs off after a failure says how long; the doctor waits that long, up to this. */
const MAX_BACKOFF_WAIT_MS = 2000;

/** The serial device a transport names, if it has one. */
const serialPath = (d: DeviceConfig): string | undefined => ('path' in d.transport ? d.transport.path : undefined);

/** The serial device server a `serial-tcp` transport names, as `host:port`. */
const serverAddress = (d: DeviceConfig): string | undefined => (d.transport.type === 'serial-tcp' ? `${d.transport.host}:${d.transport.port}` : undefined);

const CONNECT_TIMEOUT_MS = 3000;

/**
 * Does the serial device server accept a connection on the port? Checked before the driver tries:
 * "refused" (server up, port not set to TCP server mode or taken) and "no answer" (wrong address,
 * firewall, server off) send a crew to different places.
 */
export function checkTcpEndpoint(host: string, port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<CheckResult> {
  const name = `server ${host}:${port}`;
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (row: CheckResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(row);
    };
    const timer = setTimeout(() => done(fail(name, `no answer within ${timeoutMs} ms: wrong address, a firewall, or the device server is off`)), timeoutMs);
    socket.once('connect', () => done(pass(name, `accepts connections (${(performance.now() - started).toFixed(1)} ms)`)));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done(fail(name, 'connection refused: the server is up but nothing listens on that port (is the port in TCP server / raw mode?)'));
      else done(fail(name, `cannot connect (${err.code ?? err.message})`));
    });
  });
}

/** Can this user open the port at all? Checked before the driver tries, for a clearer answer. */
export function checkSerialPort(path: string): CheckResult {
  const name = `port ${path}`;
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return pass(name, 'present, readable and writable');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(name, 'not found: adapter unplugged, or another path (see /dev/serial/by-id/)');
    if (code === 'EACCES') return fail(name, 'permission denied: the user needs the dialout group (gpio for a Firmata board)');
    return fail(name, `cannot open (${code ?? 'error'})`);
  }
}

/** Reads a device up to three times through its real driver; the first answer and its time count. */
async function probe(monitor: DeviceMonitor, config: DeviceConfig): Promise<CheckResult> {
  const name = `device ${config.id}`;
  const driver = monitor.driver;
  let last = '';
  await driver.open().catch(() => undefined);
  try {
    for (let i = 0; i < TRIES; i++) {
      const started = performance.now();
      try {
        await driver.read();
        const ms = performance.now() - started;
        const what = config.kind === 'qr-scanner' ? 'port open (a scanner speaks only when it scans)' : `answers in ${ms.toFixed(1)} ms`;
        const slow = config.kind !== 'qr-scanner' && ms > config.timeoutMs / 2;
        return (slow ? warn : pass)(name, `${what}${slow ? `, over half of timeoutMs ${config.timeoutMs}` : ''} (${monitor.kind} ${driver.model})`);
      } catch (err) {
        const e = toDeviceError(err);
        last = `${e.code}: ${e.message}`;
        const backoff = Number(e.detail?.['backoffMs'] ?? 0);
        if (backoff > 0) await new Promise((r) => setTimeout(r, Math.min(backoff, MAX_BACKOFF_WAIT_MS)));
      }
    }
  } finally {
    await driver.close().catch(() => undefined);
  }
  return fail(name, `no answer in ${TRIES} tries (${last})`);
}

/**
 * Each serial port the station names (once, however many devices share it) and each device,
 * through the same drivers the gateway uses. Devices on one bus are asked one after another, as
 * the gateway would. GPIO boards are reached through Firmata like any serial device.
 */
export async function checkDevices(station: LoadedStation): Promise<CheckResult[]> {
  const rows: CheckResult[] = [];
  const ports = [...new Set(station.config.devices.map(serialPath).filter((p): p is string => p !== undefined))];
  const portOk = new Map(ports.map((p) => [p, checkSerialPort(p)]));
  rows.push(...portOk.values());
  const servers = [...new Set(station.config.devices.map(serverAddress).filter((a): a is string => a !== undefined))];
  const serverOk = new Map<string, CheckResult>();
  for (const address of servers) {
    const colon = address.lastIndexOf(':');
    serverOk.set(address, await checkTcpEndpoint(address.slice(0, colon), Number(address.slice(colon + 1))));
  }
  rows.push(...serverOk.values());
  // The station as `run` assembles it, with only its devices started and none of them polled:
  // each is probed here, one after another.
  const composed = composeStation(station, { log: silentLogger(), version: gatewayVersion(), env: {} });
  try {
    await composed.parts.start({ only: ['devices'], run: false });
    const monitors = composed.devices.monitors;
    for (const config of station.config.devices) {
      const monitor = monitors.find((m) => m.id === config.id);
      const path = serialPath(config);
      const server = serverAddress(config);
      if (!monitor) rows.push(fail(`device ${config.id}`, 'this gateway cannot drive it (see the log of `run`)'));
      else if (path && portOk.get(path)?.status === 'fail') rows.push(fail(`device ${config.id}`, `not tried: port ${path} cannot be opened`));
      else if (server && serverOk.get(server)?.status === 'fail') rows.push(fail(`device ${config.id}`, `not tried: server ${server} cannot be reached`));
      else rows.push(await probe(monitor, config));
    }
  } finally {
    await composed.parts.stop();
  }
  return rows;
}
