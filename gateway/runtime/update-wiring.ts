import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../../config/clock.js';
import { ConfigError } from '../../config/config-error.js';
import { releaseArchOf } from '../../config/release-manifest.js';
import type { StationConfig } from '../../config/station-schema.js';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import type { UpdateReport } from '../../cloud-bridge/update-contract.js';
import type { HealthGate } from '../remote-config/health-gate.js';
import { ReleaseLayout } from '../update/launcher/release-layout.js';
import { selfCheckRelease } from '../update/self-check.js';
import { UpdateAgent } from '../update/update-agent.js';
import { readReleasePublicKey } from '../update/verify-bundle.js';

/** Set by the launcher (gateway/update/launcher/): the app root with `releases/` and `current`. */
export const RELEASE_ROOT_ENV = 'STATION_RELEASE_ROOT';

export interface UpdateWiring {
  config: NonNullable<StationConfig['update']>;
  stationId: string;
  version: string;
  clock: Clock;
  log: Logger;
  env: NodeJS.ProcessEnv;
  publish(report: UpdateReport): void;
  activeSessions(): string[];
  onlineDevices(): string[];
  stationFile(): string;
  openGate(expectOnline: readonly string[], gateSeconds: number): HealthGate;
  requestRestart(reason: string): void;
}

/** The update agent of a station whose on-site file has an `update` section. Throws ConfigError for a key file that does not read. */
export async function createUpdateAgent(w: UpdateWiring): Promise<UpdateAgent> {
  const { config } = w;
  const arch = releaseArchOf();
  if (!arch) throw new ConfigError([{ file: config.releaseKey, path: 'update', message: `no bundle is built for ${process.arch}: remove the update section` }]);
  let releaseKey;
  try {
    releaseKey = readReleasePublicKey(config.releaseKey);
  } catch (err) {
    throw new ConfigError([{ file: config.releaseKey, path: 'update.releaseKey', message: `not a PEM public key: ${(err as Error).message}` }]);
  }
  const root = w.env[RELEASE_ROOT_ENV];
  const log = w.log.child({ part: 'update' });
  return new UpdateAgent({
    stationId: w.stationId,
    layout: root ? new ReleaseLayout(root) : undefined,
    keys: await loadTrustedKeys(config.keys),
    releaseKey,
    arch,
    nodeMajor: Number(process.versions.node.split('.')[0]),
    running: w.version,
    clock: w.clock,
    download: {
      ca: config.ca ? readFileSync(config.ca, 'utf8') : undefined,
      bytesPerSecond: config.bandwidthKiBps === undefined ? undefined : config.bandwidthKiBps * 1024,
      maxBytes: config.maxBundleMiB * 1024 * 1024,
    },
    gateSeconds: config.gateSeconds,
    publish: (r) => w.publish(r),
    activeSessions: () => w.activeSessions(),
    onlineDevices: () => w.onlineDevices(),
    selfCheck: (dir) => selfCheckRelease(dir, w.stationFile()),
    openGate: (expectOnline) => w.openGate(expectOnline, config.gateSeconds),
    requestRestart: (reason) => w.requestRestart(reason),
    log,
  });
}
