import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = packageRoot();
const deploy = (f: string): string => join(root, 'deploy', f);
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/ install kit', () => {
  it.skipIf(!hasAnalyze)('the systemd unit passes systemd-analyze verify', () => {
    // verify checks that ExecStart's program exists: point it at this machine's node and build.
    const dir = tempDir();
    try {
      const unit = readFileSync(deploy('station-gateway.service'), 'utf8');
      expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/station-gateway\/dist\/gateway\/cli\/station-gateway\.js run --config \/etc\/station\/station\.yaml$/m);
      const local = unit.replace('/usr/bin/node /opt/station-gateway/dist/gateway/cli/station-gateway.js', `${process.execPath} ${distEntry('gateway', 'cli', 'station-gateway.js')}`);
      const file = join(dir.path, 'station-gateway.service');
      writeFileSync(file, local);
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8' });
      // Lines about the unit file itself; other units' warnings (the host's own) are not ours.
      const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('station-gateway.service'));
      expect(ours).toEqual([]);
      expect(r.status).toBe(0);
    } finally {
      dir.remove();
    }
  });
  if (!hasAnalyze) it('systemd-analyze verify: SKIPPED, systemd-analyze is not installed here', () => undefined);

  it('the unit is Type=notify with a watchdog, restarts on failure and runs hardened as station', () => {
    const unit = readFileSync(deploy('station-gateway.service'), 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=30', 'Restart=on-failure', 'User=station', 'SupplementaryGroups=dialout gpio', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/station', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=']) {
      expect(unit.split('\n')).toContain(line);
    }
    // These would close /dev to the serial adapters.
    expect(unit).not.toMatch(/^(PrivateDevices|ProtectClock|DevicePolicy)=/m);
  });

  it('install.sh is valid bash and the example station file is a valid station', () => {
    execFileSync('bash', ['-n', deploy('install.sh')]);
    const station = loadStationConfig(deploy('station.example.yaml'), { checkFiles: false });
    expect(station.config.metrics?.listen).toBe('127.0.0.1:9464');
    expect(station.config.storage.path).toBe('/var/lib/station/gateway.db');
  });
});
