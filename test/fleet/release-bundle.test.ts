import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { bundleName, releaseArchOf } from '../../config/release-manifest.js';
import { buildRelease, type BuiltRelease } from '../../fleet/release/build-release.js';
import { writeReleaseKey } from '../../fleet/release/release-key.js';
import { readReleasePublicKey, verifyBundleSignature, verifyUnpacked } from '../../gateway/update/verify-bundle.js';
import { runNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * A release bundle as `npm run release` makes it, from this checkout's dist/ and node_modules:
 * signed, checked by OpenSSL as well as by us, refused when changed, truncated, for another
 * architecture or another Node.js, and runnable where it is unpacked.
 */

let dir: ReturnType<typeof tempDir>;
let keys: { privateKeyFile: string; publicKeyFile: string };
let built: BuiltRelease;
let unpacked: string;

beforeAll(() => {
  dir = tempDir('release-');
  keys = writeReleaseKey(join(dir.path, 'keys'));
  built = buildRelease({ root: packageRoot(), outDir: join(dir.path, 'out'), keyFile: keys.privateKeyFile, version: '9.9.9-test.1' });
  unpacked = join(dir.path, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', built.bundle, '-C', unpacked]);
}, 120_000);

afterAll(() => dir?.remove());

describe('a release bundle', () => {
  it('is named for its version and architecture, signed, and the signature verifies with OpenSSL too', () => {
    const arch = releaseArchOf();
    expect(arch).toBeDefined();
    expect(built.bundle.endsWith(bundleName('9.9.9-test.1', arch ?? 'x64'))).toBe(true);
    expect(statSync(keys.privateKeyFile).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(built.bundle);
    verifyBundleSignature(bytes, readFileSync(built.signature, 'utf8'), readReleasePublicKey(keys.publicKeyFile));
    const raw = join(dir.path, 'sig.bin');
    writeFileSync(raw, Buffer.from(readFileSync(built.signature, 'utf8').trim(), 'base64'));
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', keys.publicKeyFile, '-rawin', '-in', built.bundle, '-sigfile', raw], { encoding: 'utf8' });
    expect(out).toMatch(/Signature Verified Successfully/);
    process.stdout.write(`release bundle: ${(built.bytes / 1e6).toFixed(1)} MB, ${built.manifest.files.length} files\n`);
  });

  it('is refused changed by one byte, truncated, or signed by another key', () => {
    const key = readReleasePublicKey(keys.publicKeyFile);
    const bytes = readFileSync(built.bundle);
    const sig = readFileSync(built.signature, 'utf8');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] ?? 0) ^ 0x01;
    expect(() => verifyBundleSignature(flipped, sig, key)).toThrow(expect.objectContaining({ code: 'UPDATE_BAD_SIGNATURE' }));
    expect(() => verifyBundleSignature(bytes.subarray(0, bytes.length - 1000), sig, key)).toThrow(expect.objectContaining({ code: 'UPDATE_BAD_SIGNATURE' }));
    const other = writeReleaseKey(join(dir.path, 'other'));
    expect(() => verifyBundleSignature(bytes, sig, readReleasePublicKey(other.publicKeyFile))).toThrow(expect.objectContaining({ code: 'UPDATE_BAD_SIGNATURE' }));
    expect(() => verifyBundleSignature(bytes, 'not base64 at all', key)).toThrow(expect.objectContaining({ code: 'UPDATE_BAD_SIGNATURE' }));
  });

  it('unpacks to exactly its manifest, and is refused for another architecture, another Node.js, or a damaged file', () => {
    const manifest = verifyUnpacked(unpacked);
    expect(manifest).toMatchObject({ name: 'station-gateway', version: '9.9.9-test.1', platform: 'linux', node: [20, 21, 22] });
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain('dist/gateway/cli/station-gateway.js');
    expect(paths).toContain('config/profiles/cabinet-ref.yaml');
    expect(paths.some((p) => p.startsWith('node_modules/better-sqlite3/'))).toBe(true);
    // What a box never needs is not shipped.
    expect(paths.some((p) => p.startsWith('dist/simulators/') || p.startsWith('dist/test/') || p.startsWith('node_modules/vitest/') || (p.startsWith('dist/') && p.endsWith('.map')))).toBe(false);
    expect(() => verifyUnpacked(unpacked, { arch: 'arm64' === process.arch ? 'x64' : 'arm64' })).toThrow(expect.objectContaining({ code: 'UPDATE_WRONG_ARCH' }));
    expect(() => verifyUnpacked(unpacked, { nodeMajor: 18 })).toThrow(expect.objectContaining({ code: 'UPDATE_WRONG_NODE' }));
    const victim = join(unpacked, 'config/profiles/cabinet-ref.yaml');
    const original = readFileSync(victim);
    try {
      writeFileSync(victim, Buffer.concat([original, Buffer.from('# changed\n')]));
      expect(() => verifyUnpacked(unpacked)).toThrow(expect.objectContaining({ code: 'UPDATE_FILE_MISMATCH' }));
      rmSync(victim);
      expect(() => verifyUnpacked(unpacked)).toThrow(expect.objectContaining({ code: 'UPDATE_FILE_MISMATCH', message: expect.stringContaining('missing') }));
    } finally {
      writeFileSync(victim, original);
    }
  });

  it('runs where it is unpacked: validate and run on a station file, with its own node_modules', async () => {
    const station = join(dir.path, 'station.yaml');
    writeFileSync(
      station,
      `station: { id: rel-1 }
cloud: { url: mqtt://127.0.0.1:1, protocolVersion: 4 }
storage: { path: ${join(dir.path, 'data', 'gw.db')} }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 1, unitId: 1 } }
`,
    );
    const cli = join(unpacked, 'dist/gateway/cli/station-gateway.js');
    expect(execFileSync(process.execPath, [cli, '--version'], { cwd: unpacked, encoding: 'utf8' }).trim()).toBe('9.9.9-test.1');
    expect(execFileSync(process.execPath, [cli, 'validate', '-c', station], { cwd: unpacked, encoding: 'utf8' })).toMatch(/ok \(station rel-1, 1 devices\)/);
    // better-sqlite3 and serialport load from the bundle's own node_modules: the store opens.
    const run = runNode(cli, ['run', '-c', station], { cwd: unpacked });
    try {
      await run.waitForOutput('station-gateway ready', 20_000);
    } finally {
      await run.stop();
    }
    expect(run.output()).toContain(unpacked);
  }, 60_000);
});

describe('station-fleet release', () => {
  it('makes a release key once and refuses to overwrite it; build wants its key', async () => {
    const cli = join(packageRoot(), 'dist/fleet/cli/station-fleet.js');
    const keygen = runNode(cli, ['release', 'keygen', '--out', join(dir.path, 'cli-keys')]);
    expect((await keygen.exited).code).toBe(0);
    expect(keygen.output()).toMatch(/release\.private\.pem.*release\.public\.pem/);
    const again = runNode(cli, ['release', 'keygen', '--out', join(dir.path, 'cli-keys')]);
    expect((await again.exited).code).toBe(2);
    expect(again.output()).toContain('never overwritten');
    const noKey = runNode(cli, ['release', 'build']);
    expect((await noKey.exited).code).toBe(2);
    expect(noKey.output()).toContain('--key release.private.pem is required');
  });
});
