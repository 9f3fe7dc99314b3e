import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { releaseArchOf } from '../../config/release-manifest.js';
import { readReleasePrivateKey, writeReleaseKey } from '../../fleet/release/release-key.js';
import { packRelease } from '../../fleet/release/build-release.js';
import { ReleaseLayout } from '../../gateway/update/launcher/release-layout.js';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = packageRoot();
const deploy = (f: string): string => join(root, 'deploy', f);
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const unitLines = (): string[] => readFileSync(deploy('station-gateway.service'), 'utf8').split('\n');
const LAUNCHER_EXEC = '/usr/bin/node /opt/station-gateway/launcher/station-launcher.js';

/**
 * A release tree as the kit builds it from this project (dist/ from the global setup), with
 * `version` in its package.json. node_modules is a link to this project's: the kit copies it as
 * it finds it, and the gateway in the release loads its modules through it.
 */
function releaseTree(dir: string, version: string): string {
  const tree = join(dir, `tree-${version}`);
  for (const layer of ['config', 'device-drivers', 'cloud-bridge', 'gateway']) cpSync(join(root, 'dist', layer), join(tree, 'dist', layer), { recursive: true });
  cpSync(join(root, 'config', 'profiles'), join(tree, 'config', 'profiles'), { recursive: true });
  cpSync(join(root, 'deploy'), join(tree, 'deploy'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(tree, 'package.json'), `${JSON.stringify({ ...pkg, version, scripts: undefined, devDependencies: undefined }, null, 2)}\n`);
  return tree;
}

function installRelease(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('bash', [deploy('install-release.sh'), ...args], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('deploy/ install kit', () => {
  it.skipIf(!hasAnalyze)('the systemd unit passes systemd-analyze verify', () => {
    // verify checks that ExecStart's program exists: point it at this machine's node and build.
    const dir = tempDir();
    try {
      const unit = readFileSync(deploy('station-gateway.service'), 'utf8');
      expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node --max-semi-space-size=1 --no-opt \/opt\/station-gateway\/launcher\/station-launcher\.js --root \/var\/lib\/station\/app -- run --config \/etc\/station\/station\.yaml$/m);
      const local = unit.replace(LAUNCHER_EXEC, `${process.execPath} ${distEntry('gateway', 'update', 'launcher', 'station-launcher.js')}`);
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

  it('the unit runs the launcher, Type=notify with a watchdog, always restarts, and runs hardened as station', () => {
    const lines = unitLines();
    for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=30', 'Restart=always', 'RestartPreventExitStatus=2', 'KillMode=mixed', 'User=station', 'SupplementaryGroups=dialout gpio', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/station', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=']) {
      expect(lines).toContain(line);
    }
    // These would close /dev to the serial adapters.
    expect(lines.filter((l) => /^(PrivateDevices|ProtectClock|DevicePolicy)=/.test(l))).toEqual([]);
    // The service updates itself: the app root must be inside what it may write.
    const appRoot = /--root (\S+)/.exec(lines.find((l) => l.startsWith('ExecStart=')) ?? '')?.[1] ?? '';
    const writable = lines.filter((l) => l.startsWith('ReadWritePaths=')).flatMap((l) => l.slice('ReadWritePaths='.length).split(' '));
    expect(writable.some((w) => appRoot === w || appRoot.startsWith(`${w}/`))).toBe(true);
    // A rollback exits 75 (the launcher, launcher-process.test.ts): nothing may stop its restart.
    expect(lines.filter((l) => /^(RestartPreventExitStatus|SuccessExitStatus)=.*\b75\b/.test(l))).toEqual([]);
  });

  it('install.sh and install-release.sh are valid bash and the example station file is a valid station', () => {
    execFileSync('bash', ['-n', deploy('install.sh')]);
    execFileSync('bash', ['-n', deploy('install-release.sh')]);
    const kit = readFileSync(deploy('install.sh'), 'utf8');
    expect(kit).toContain('APP_ROOT="$DATA/app"');
    expect(kit).toMatch(/ln -sfn "\$APP_ROOT\/current\/dist\/gateway\/cli\/station-gateway\.js" \/usr\/local\/bin\/station-gateway/);
    const station = loadStationConfig(deploy('station.example.yaml'), { checkFiles: false });
    expect(station.config.metrics?.listen).toBe('127.0.0.1:9464');
    expect(station.config.storage.path).toBe('/var/lib/station/gateway.db');
  });

  it('installs a built tree as a committed release, and a launcher that runs outside the project with only its own files', () => {
    const dir = tempDir('install-kit-');
    try {
      const app = join(dir.path, 'var', 'app');
      const launcher = join(dir.path, 'opt', 'launcher');
      const first = installRelease(['--app-root', app, '--launcher-dir', launcher, '--tree', releaseTree(dir.path, '9.8.7')]);
      expect(first.out).toContain('install-release: committed 9.8.7');
      expect(first.status).toBe(0);
      const layout = new ReleaseLayout(app);
      expect(layout.readState()).toEqual({ committed: '9.8.7' });
      expect(readlinkSync(join(app, 'current'))).toBe('releases/9.8.7');
      expect(readdirSync(app).sort()).toEqual(['current', 'downloads', 'releases', 'update-state.json']);
      // Node builtins and config/ only: the launcher must run when every release is broken.
      expect(filesUnder(launcher)).toEqual([
        'VERSION',
        'config/clock.js',
        'config/durable-write.js',
        'config/usage-error.js',
        'gateway/update/launcher/launch-decision.js',
        'gateway/update/launcher/launcher-args.js',
        'gateway/update/launcher/layout-file-ops.js',
        'gateway/update/launcher/release-layout.js',
        'gateway/update/launcher/station-launcher.js',
        'package.json',
        'station-launcher.js',
      ]);

      // The installed launcher, from a folder with no node_modules, starts the real gateway of the release.
      const run = spawnSync(process.execPath, [join(launcher, 'station-launcher.js'), '--root', app, '--', '--version'], { encoding: 'utf8', cwd: dir.path });
      expect(run.stdout.trim()).toBe('9.8.7');
      expect(run.status).toBe(0);
      expect(run.stderr).toContain('"event":"start","version":"9.8.7"');

      // Installed again with newer versions: the one before is kept as previous, older ones pruned.
      expect(installRelease(['--app-root', app, '--launcher-dir', launcher, '--tree', releaseTree(dir.path, '9.8.8')]).status).toBe(0);
      expect(layout.readState()).toEqual({ committed: '9.8.8', previous: '9.8.7' });
      const third = installRelease(['--app-root', app, '--launcher-dir', launcher, '--tree', releaseTree(dir.path, '9.9.0')]);
      expect(third.out).toContain('committed 9.9.0, previous 9.8.8; removed releases/9.8.7');
      expect(readdirSync(join(app, 'releases')).sort()).toEqual(['9.8.8', '9.9.0']);
      expect(readFileSync(join(launcher, 'VERSION'), 'utf8')).toBe('9.9.0\n');
    } finally {
      dir.remove();
    }
  });

  it.skipIf(!releaseArchOf())('installs a signed bundle after checking its signature, and refuses a changed one or another key', () => {
    const dir = tempDir('install-bundle-');
    try {
      const keys = writeReleaseKey(join(dir.path, 'keys'));
      const other = writeReleaseKey(join(dir.path, 'other-keys'));
      const stage = releaseTree(dir.path, '9.8.7');
      const built = packRelease({ stage, outDir: join(dir.path, 'out'), key: readReleasePrivateKey(keys.privateKeyFile), version: '9.8.7', arch: releaseArchOf() ?? 'x64', node: [Number(process.versions.node.split('.')[0])] });
      const app = join(dir.path, 'app');
      const launcher = join(dir.path, 'launcher');
      const args = (bundle: string, key: string, sig = `${built.bundle}.sig`) => ['--app-root', app, '--launcher-dir', launcher, '--bundle', bundle, '--release-key', key, '--signature', sig];

      const wrongKey = installRelease(args(built.bundle, other.publicKeyFile));
      expect(wrongKey.status).toBe(1);
      expect(wrongKey.out).toContain('does not verify against the release key');
      const changed = join(dir.path, 'changed.tar.gz');
      const bytes = readFileSync(built.bundle);
      bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
      writeFileSync(changed, bytes);
      const tampered = installRelease(args(changed, keys.publicKeyFile));
      expect(tampered.out).toContain('(UPDATE_BAD_SIGNATURE)');
      expect(tampered.status).toBe(1);
      // Nothing of either was unpacked, not even a partial folder.
      expect(readdirSync(join(app, 'releases'))).toEqual([]);

      const good = installRelease(args(built.bundle, keys.publicKeyFile));
      expect(good.out).toContain('signature good');
      expect(good.status).toBe(0);
      expect(new ReleaseLayout(app).readState()).toEqual({ committed: '9.8.7' });
      expect(JSON.parse(readFileSync(join(app, 'current', 'release-manifest.json'), 'utf8'))).toMatchObject({ version: '9.8.7' });
      const run = spawnSync(process.execPath, [join(launcher, 'station-launcher.js'), '--root', app, '--', '--version'], { encoding: 'utf8' });
      expect(run.stdout.trim()).toBe('9.8.7');

      // Signed, but for another Node.js major: the bundle's own check refuses it after unpacking.
      const stage2 = releaseTree(dir.path, '9.8.8');
      const built2 = packRelease({ stage: stage2, outDir: join(dir.path, 'out2'), key: readReleasePrivateKey(keys.privateKeyFile), version: '9.8.8', arch: releaseArchOf() ?? 'x64', node: [18] });
      const wrongNode = installRelease(args(built2.bundle, keys.publicKeyFile, `${built2.bundle}.sig`));
      expect(wrongNode.out).toContain('UPDATE_WRONG_NODE');
      expect(wrongNode.status).toBe(1);
      expect(readdirSync(join(app, 'releases'))).toEqual(['9.8.7']);
    } finally {
      dir.remove();
    }
  });
});
