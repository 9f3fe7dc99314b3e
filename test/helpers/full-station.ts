import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { freePort } from './free-port.js';

/**
 * A station file with every reference device of the demo station (door lock and scanner on ptys,
 * cabinet on Modbus TCP, dispenser and occupancy sensor sharing one RTU-over-TCP line), on free
 * ports and paths under `dir`, and the issuer key its trusted-keys file holds. For the runs that
 * start the whole station: the chaos tests and the soak script.
 */
export interface FullStation {
  stationId: string;
  configFile: string;
  dbFile: string;
  key: IssuerKey;
  metricsPort: number | undefined;
}

export interface FullStationOptions {
  stationId: string;
  brokerUrl: string;
  /** Adds `metrics.listen` on a free port. */
  metrics?: boolean;
  /** Where the database lives (a small file system in the disk-full test); default `dir/data`. */
  dataDir?: string;
  /** Only these devices (and the resources on them); default all five. */
  devices?: readonly string[];
  /** The door lock's serial path (a /dev/serial/by-id style link); default `tty/lock-1`. */
  lockPath?: string;
}

export async function writeFullStation(dir: string, options: FullStationOptions): Promise<FullStation> {
  const key = await generateIssuerKey(`${options.stationId}-issuer`);
  writeTrustedKeys(join(dir, 'trusted.jwks.json'), [key]);
  const dataDir = options.dataDir ?? join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, 'gateway.db');
  const [cabinetPort, linePort] = [await freePort(), await freePort()];
  const metricsPort = options.metrics ? await freePort() : undefined;
  const devices: Array<[string, string]> = [
    ['lock-1', `kind: door-lock, transport: { type: serial, path: ${options.lockPath ?? 'tty/lock-1'}, baudRate: 9600 }, pollMs: 1000`],
    ['scanner-1', 'kind: qr-scanner, transport: { type: serial, path: tty/scanner-1, baudRate: 9600 }, pollMs: 5000'],
    ['cabinet-1', `kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinetPort}, unitId: 1 }, pollMs: 1000`],
    ['water-1', `kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${linePort}, unitId: 2 }, pollMs: 1000`],
    ['occupancy-1', `kind: occupancy, profile: occupancy-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${linePort}, unitId: 3 }, pollMs: 1000`],
  ];
  const resources: Array<[name: string, device: string, more: string]> = [
    ['main-door', 'lock-1', ', door: 1, unlockMs: 1500'],
    ['cabinet-1', 'cabinet-1', ''],
    ['water-1', 'water-1', ''],
  ];
  const kept = new Set(options.devices ?? devices.map(([id]) => id));
  const configFile = join(dir, 'station.yaml');
  writeFileSync(
    configFile,
    [
      `station: { id: ${options.stationId}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }`,
      `cloud: { url: ${options.brokerUrl}, protocolVersion: 4, heartbeatSeconds: 30 }`,
      `storage: { path: ${dbFile}, retainDays: 90, maxMegabytes: 64 }`,
      'access: { trustedKeys: trusted.jwks.json, clockTrust: system, scansPerMinute: 600, maxPeopleInside: 6 }',
      ...(metricsPort === undefined ? [] : [`metrics: { listen: "127.0.0.1:${metricsPort}" }`]),
      'resources:',
      ...resources.filter(([, device]) => kept.has(device)).map(([name, device, more]) => `  ${name}: { device: ${device}${more} }`),
      'devices:',
      ...devices.filter(([id]) => kept.has(id)).map(([id, d]) => `  - { id: ${id}, ${d} }`),
      '',
    ].join('\n'),
  );
  return { stationId: options.stationId, configFile, dbFile, key, metricsPort };
}
