import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../../config/config-error.js';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A station with a lock and a scanner; `scanner` and `lock` are extra lines for each device. */
const station = (scanner: string, lock = ''): string => `
station:
  id: zj-hz-test-0001
cloud:
  url: mqtt://127.0.0.1:1883
storage:
  path: data/gateway.db
resources:
  main-door: { device: lock-1, door: 1 }
devices:
  - id: lock-1
    kind: door-lock
    transport: { type: serial, path: /dev/ttyUSB0 }
${lock}
  - id: scanner-1
    kind: qr-scanner
    transport: { type: serial, path: /dev/ttyUSB1 }
${scanner}
`;

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('scanner-settings-');
});
afterEach(() => dir.remove());

const load = (text: string) => {
  const file = join(dir.path, 'station.yaml');
  writeFileSync(file, text);
  return loadStationConfig(file);
};

const problems = (text: string): string[] => {
  try {
    load(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map(formatProblem);
  }
  throw new Error('expected the config to be refused');
};

describe('the scanner setting maxScanBytes', () => {
  it('is left out by default (the driver applies its default) and read when given', () => {
    expect(load(station('')).config.devices.find((d) => d.id === 'scanner-1')?.maxScanBytes).toBeUndefined();
    expect(load(station('    maxScanBytes: 4096')).config.devices.find((d) => d.id === 'scanner-1')?.maxScanBytes).toBe(4096);
  });

  it('refuses a limit out of range, and one on a device that reads no scans', () => {
    expect(problems(station('    maxScanBytes: 10')).join('\n')).toMatch(/maxScanBytes/);
    expect(problems(station('    maxScanBytes: 1000000')).join('\n')).toMatch(/maxScanBytes/);
    expect(problems(station('', '    maxScanBytes: 2048')).join('\n')).toMatch(/maxScanBytes is the longest scan a QR scanner accepts; a door-lock reads no scans/);
  });
});
