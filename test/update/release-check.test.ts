import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { releaseCheck, releaseRootOf } from '../../gateway/ops/doctor/release-check.js';
import { ReleaseLayout } from '../../gateway/update/launcher/release-layout.js';
import { tempDir } from '../helpers/temp-dir.js';

/* What doctor says of the release a station runs, read off a real layout on disk at each stage of an update. */

const config = loadStationConfig(join(packageRoot(), 'config', 'demo-station.yaml'), { checkFiles: false }).config;
const NOW = Date.parse('2026-12-01T02:00:00.000Z');
let dir: ReturnType<typeof tempDir> | undefined;

function layoutWith(...versions: string[]): ReleaseLayout {
  dir = tempDir('release-check-');
  for (const v of versions) {
    const entry = join(dir.path, 'releases', v, 'dist', 'gateway', 'cli');
    mkdirSync(entry, { recursive: true });
    writeFileSync(join(entry, 'station-gateway.js'), '');
  }
  return new ReleaseLayout(dir.path);
}

afterEach(() => dir?.remove());

describe('doctor\'s release check', () => {
  it('finds the app root from a release folder, and nothing from a source tree', () => {
    expect(releaseRootOf('/var/lib/station/app/releases/0.2.0')).toBe('/var/lib/station/app');
    expect(releaseRootOf('/home/crew/station-gateway')).toBeUndefined();
  });

  it('says which version runs, on trial with its boots and deadline, and a rollback with its reason', () => {
    const layout = layoutWith('0.1.0', '0.2.0');
    layout.bootstrap('0.1.0');
    expect(releaseCheck(layout.root, '0.1.0', config, new Date(NOW))).toMatchObject({ status: 'pass', detail: 'version 0.1.0' });

    layout.beginTrial({ version: '0.2.0', trialSeconds: 210, now: NOW });
    const trial = releaseCheck(layout.root, '0.2.0', config, new Date(NOW + 10_000));
    expect(trial?.status).toBe('warn');
    expect(trial?.detail).toMatch(/^version 0\.2\.0 on trial since 2026-12-01T02:00:00\.000Z \(boot 0, 200 s left to commit\), from 0\.1\.0$/);

    layout.rollBack('UPDATE_GATE_FAILED', 'device cabinet-1 did not come online within 120 s', NOW + 130_000);
    const back = releaseCheck(layout.root, '0.1.0', config, new Date(NOW + 140_000));
    expect(back?.status).toBe('warn');
    expect(back?.detail).toContain('0.2.0 was rolled back at 2026-12-01T02:02:10.000Z: UPDATE_GATE_FAILED device cabinet-1 did not come online within 120 s');

    layout.beginTrial({ version: '0.2.0', trialSeconds: 210, now: NOW + 200_000 });
    layout.commitTrial(NOW + 260_000);
    expect(releaseCheck(layout.root, '0.2.0', config, new Date(NOW + 270_000))).toMatchObject({ status: 'pass', detail: 'version 0.2.0, previous 0.1.0 kept' });
  });

  it('fails a layout the launcher could not start from, and warns a station with updates on but no launcher', () => {
    const layout = layoutWith('0.1.0');
    expect(releaseCheck(layout.root, '0.1.0', config, new Date(NOW))?.status).toBe('fail');
    expect(releaseCheck(undefined, '0.1.0', config, new Date(NOW))).toBeUndefined();
    const updating = { ...config, update: { releaseKey: '/k.pem', keys: '/k.json', maxBundleMiB: 200, gateSeconds: 120 } };
    expect(releaseCheck(undefined, '0.1.0', updating, new Date(NOW))).toMatchObject({ status: 'warn' });
  });
});
