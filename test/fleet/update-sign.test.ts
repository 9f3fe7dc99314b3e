import { createHash, createPublicKey, verify } from 'node:crypto';
import { copyFileSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { RELEASE_DOCUMENT_JOSE_TYPE } from '../../cloud-bridge/update-contract.js';
import { UsageError } from '../../config/usage-error.js';
import { bundlesByArch, readBundleFile } from '../../fleet/update/bundle-files.js';
import { signReleaseDocument } from '../../fleet/update/sign-release-document.js';
import { verifyReleaseDocument } from '../../gateway/update/verify-release-document.js';
import { UpdateError } from '../../gateway/update/update-error.js';
import { makeFleetKey } from '../remote-config/remote-config-fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeBundle, makeUpdateKeys, type UpdateKeys } from './update-fixtures.js';

let dir: ReturnType<typeof tempDir>;
let keys: UpdateKeys;
let arm64: string;
let x64: string;

beforeAll(async () => {
  dir = tempDir('update-sign-');
  keys = await makeUpdateKeys(join(dir.path, 'keys'));
  arm64 = makeBundle(dir.path, '0.2.0', 'arm64', keys.releaseKeyFile);
  x64 = makeBundle(dir.path, '0.2.0', 'x64', keys.releaseKeyFile);
});
afterAll(() => dir?.remove());

const refusal = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UpdateError);
  return (err as UpdateError).code;
};

describe('a bundle named on the command line', () => {
  it('gives its size, SHA-256, the signature beside it, its URL under --base-url and its unpacked size', () => {
    const b = readBundleFile(arm64, 'https://releases.example.net/gw/');
    const bytes = readFileSync(arm64);
    expect(b).toMatchObject({ version: '0.2.0', arch: 'arm64' });
    expect(b.ref.url).toBe('https://releases.example.net/gw/station-gateway-0.2.0-linux-arm64.tar.gz');
    expect(b.ref.bytes).toBe(statSync(arm64).size);
    expect(b.ref.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    // The signature a station checks with the release key's public half.
    const pub = createPublicKey(readFileSync(join(dir.path, 'keys', 'release', 'release.public.pem')));
    expect(verify(null, bytes, pub, Buffer.from(b.ref.signature, 'base64'))).toBe(true);
    expect(b.ref.unpackedBytes).toBeGreaterThan(0);
  });

  it('is refused, before anything is published, when misnamed, unsigned, not under https, or twice for one architecture', () => {
    expect(() => readBundleFile(join(dir.path, 'gateway.tar.gz'), 'https://x')).toThrow(UsageError);
    expect(() => readBundleFile(arm64, 'http://releases.example.net')).toThrow(/--base-url must be https/);
    expect(() => bundlesByArch([readBundleFile(arm64, 'https://x'), readBundleFile(arm64, 'https://y')])).toThrow(/two bundles of 0.2.0 for linux-arm64/);
    const renamed = join(dir.path, 'station-gateway-0.3.0-linux-arm64.tar.gz');
    copyFileSync(arm64, renamed);
    copyFileSync(`${arm64}.sig`, `${renamed}.sig`);
    expect(() => readBundleFile(renamed, 'https://x')).toThrow(/its manifest says 0\.2\.0 for linux-arm64; a bundle renamed is not published/);
    const unsigned = makeBundle(dir.path, '0.3.0', 'armhf', keys.releaseKeyFile);
    renameSync(`${unsigned}.sig`, `${unsigned}.sig.away`);
    expect(() => readBundleFile(unsigned, 'https://x')).toThrow(/\.sig: cannot read the bundle's signature \(ENOENT\)/);
  });
});

describe('a release document signed by the fleet tool', () => {
  it('verifies on the station it names with the configuration keys, with the bundle of its architecture', async () => {
    const bundles = bundlesByArch([readBundleFile(arm64, 'https://r.example.net'), readBundleFile(x64, 'https://r.example.net')]);
    const jws = await signReleaseDocument(keys.signing, { station: 'hz-0001', revision: 1_764_600_000_000, version: '0.2.0', bundles, rollout: '0.2.0-canary', issuedAt: new Date('2026-12-01T19:00:00.000Z') });
    const header = decodeProtectedHeader(jws);
    expect(header).toEqual({ alg: 'EdDSA', kid: 'fleet-config-1', typ: RELEASE_DOCUMENT_JOSE_TYPE });
    const ok = await verifyReleaseDocument(jws, { stationId: 'hz-0001', keys: keys.stationKeys, lastRevision: 1_764_000_000_000, arch: 'arm64' });
    expect(ok.payload).toEqual({ typ: 'station-release', station: 'hz-0001', revision: 1_764_600_000_000, issuedAt: '2026-12-01T19:00:00.000Z', version: '0.2.0', bundles, rollout: '0.2.0-canary' });
    expect(ok.bundle).toEqual(bundles.arm64);
    expect(ok.kid).toBe('fleet-config-1');
    // Deterministic: the same request signs to the same bytes (what lets a resumed rollout re-sign).
    expect(await signReleaseDocument(keys.signing, { station: 'hz-0001', revision: 1_764_600_000_000, version: '0.2.0', bundles, rollout: '0.2.0-canary', issuedAt: new Date('2026-12-01T19:00:00.000Z') })).toBe(jws);
  });

  it('is refused by another station, a station that took a later revision, a box of another architecture, and a station with other keys', async () => {
    const bundles = bundlesByArch([readBundleFile(arm64, 'https://r.example.net')]);
    const jws = await signReleaseDocument(keys.signing, { station: 'hz-0001', revision: 5, version: '0.2.0', bundles });
    const o = { stationId: 'hz-0001', keys: keys.stationKeys, lastRevision: 4, arch: 'arm64' as const };
    expect(await refusal(verifyReleaseDocument(jws, { ...o, stationId: 'hz-0002' }))).toBe('UPDATE_WRONG_STATION');
    expect(await refusal(verifyReleaseDocument(jws, { ...o, lastRevision: 5 }))).toBe('UPDATE_REVISION_NOT_NEWER');
    expect(await refusal(verifyReleaseDocument(jws, { ...o, arch: 'armhf' }))).toBe('UPDATE_WRONG_ARCH');
    const other = await makeFleetKey(join(dir.path, 'other'), 'fleet-config-1');
    expect(await refusal(verifyReleaseDocument(jws, { ...o, keys: other.stationKeys }))).toBe('UPDATE_BAD_DOCUMENT_SIGNATURE');
  });

  it('is not made for what every station would refuse: a bad version, a bad rollout id, no bundle', async () => {
    const bundles = bundlesByArch([readBundleFile(arm64, 'https://r.example.net')]);
    await expect(signReleaseDocument(keys.signing, { station: 'hz-0001', revision: 1, version: 'latest', bundles })).rejects.toThrow(/version/);
    await expect(signReleaseDocument(keys.signing, { station: 'hz-0001', revision: 1, version: '0.2.0', bundles, rollout: 'has space' })).rejects.toThrow(/rollout/);
    await expect(signReleaseDocument(keys.signing, { station: 'hz-0001', revision: 1, version: '0.2.0', bundles: {} })).rejects.toThrow(/at least one bundle/);
  });
});
