import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_CHARS } from '../../cloud-bridge/remote-config-contract.js';
import { RemoteConfigError } from '../../gateway/remote-config/remote-config-error.js';
import { claimedRevision, verifyConfigDocument } from '../../gateway/remote-config/verify-config-document.js';
import { readConfigKey, writeConfigKey } from '../../fleet/config/config-keys.js';
import { issueToken, writeIssuerKeyFiles, readIssuerKey } from '../../simulators/cloud/token-issuer.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeFleetKey, otherKey, sign, signRaw, type FleetKey } from './remote-config-fixtures.js';

const STATION = 'hz-0001';
const FILES = { 'station.yaml': 'station:\n  id: hz-0001\n', 'profiles/cab-x.yaml': 'id: cab-x\n' };
let dir: ReturnType<typeof tempDir>;
let key: FleetKey;

beforeAll(async () => {
  dir = tempDir('remote-verify-');
  key = await makeFleetKey(dir.path);
});
afterAll(() => dir.remove());

const payload = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ typ: 'station-config', station: STATION, revision: 3, issuedAt: '2026-12-01T10:00:00.000Z', files: FILES, ...over });
const verify = (jws: string, currentRevision: number | undefined = 2) => verifyConfigDocument(jws, { stationId: STATION, keys: key.stationKeys, currentRevision });

async function refusal(jws: string, currentRevision?: number): Promise<RemoteConfigError> {
  const err = await verify(jws, currentRevision).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteConfigError);
  return err as RemoteConfigError;
}

describe('a configuration document', () => {
  it('signed by a configuration key, for this station, newer: verified, with its files and hash', async () => {
    const jws = await sign(key, STATION, 3, FILES);
    const doc = await verify(jws);
    expect(doc.payload.files).toEqual(FILES);
    expect(doc.payload.revision).toBe(3);
    expect(doc.kid).toBe('fleet-config-1');
    expect(doc.hash).toMatch(/^[0-9a-f]{64}$/);
    // A station on its on-site file takes any revision.
    await expect(verify(jws, undefined)).resolves.toMatchObject({ payload: { revision: 3 } });
  });

  it('with a changed payload or signed by another key under the same kid: CONFIG_BAD_SIGNATURE', async () => {
    const jws = await sign(key, STATION, 3, FILES);
    const [h, , s] = jws.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(payload({ files: { 'station.yaml': 'evil' } }))).toString('base64url')}.${s}`;
    expect((await refusal(forged)).code).toBe('CONFIG_BAD_SIGNATURE');
    expect((await refusal(await signRaw(await otherKey(), 'fleet-config-1', payload()))).code).toBe('CONFIG_BAD_SIGNATURE');
  });

  it('signed by a key the configuration-key file lacks, the access-token key among them: CONFIG_UNKNOWN_KEY', async () => {
    const issuer = await readIssuerKey((await writeIssuerKeyFiles(dir.path, 'access-1')).privateKeyFile);
    const err = await refusal(await signRaw(issuer.privateKey, 'access-1', payload()));
    expect(err.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(err.message).toContain('"access-1"');
    // A second fleet key, not yet given to the station.
    const other = await readConfigKey((await writeConfigKey(`${dir.path}/k2`, 'fleet-config-2')).privateKeyFile);
    expect((await refusal(await signRaw(other.privateKey, other.kid, payload()))).code).toBe('CONFIG_UNKNOWN_KEY');
  });

  it('an access token signed with the configuration key is not a document: CONFIG_DOCUMENT_MALFORMED', async () => {
    const token = await issueToken({ kid: key.signing.kid, privateKey: key.signing.privateKey, publicJwk: {} }, { station: STATION, res: 'main-door', act: 'unlock' });
    const err = await refusal(token);
    expect(err.code).toBe('CONFIG_DOCUMENT_MALFORMED');
    expect(err.message).toContain('typ');
  });

  it('for another station: CONFIG_WRONG_STATION; not newer than the running revision: CONFIG_REVISION_NOT_NEWER', async () => {
    expect((await refusal(await sign(key, 'hz-0002', 3, FILES))).code).toBe('CONFIG_WRONG_STATION');
    const same = await refusal(await sign(key, STATION, 2, FILES), 2);
    expect(same.code).toBe('CONFIG_REVISION_NOT_NEWER');
    expect(same.message).toBe('revision 2 is not newer than revision 2, which the station runs');
    expect((await refusal(await sign(key, STATION, 1, FILES), 2)).code).toBe('CONFIG_REVISION_NOT_NEWER');
  });

  it('with paths that leave the revision folder: CONFIG_PATH_UNSAFE, every bad path named', async () => {
    const files = { 'station.yaml': 'x', '../escape.yaml': 'x', '/etc/cron.d/x': 'x', 'profiles/../../up.yaml': 'x', '.hidden': 'x', 'a\\b.yaml': 'x', 'profiles': 'x', 'profiles/p.yaml': 'x' };
    const err = await refusal(await signRaw(key.signing.privateKey, key.signing.kid, payload({ files })));
    expect(err.code).toBe('CONFIG_PATH_UNSAFE');
    expect(err.problems).toEqual([
      '"../escape.yaml" leaves or names the revision folder itself ("." or "..")',
      '"/etc/cron.d/x" is an absolute path; paths are relative to the revision folder',
      '"profiles/../../up.yaml" leaves or names the revision folder itself ("." or "..")',
      '".hidden" is not a plain relative path (segments of A-Z, a-z, 0-9, "_", ".", "-", not starting with ".", at most 4 deep)',
      '"a\\b.yaml" is not a plain relative path (segments of A-Z, a-z, 0-9, "_", ".", "-", not starting with ".", at most 4 deep)',
      '"profiles" is a file and also the folder of "profiles/p.yaml"',
    ]);
  });

  it('too large, not a JWS, not the shape, no station file, another algorithm: refused unread or by field', async () => {
    expect((await refusal('x'.repeat(MAX_DOCUMENT_CHARS + 1))).code).toBe('CONFIG_DOCUMENT_TOO_LARGE');
    expect((await refusal('not a jws')).code).toBe('CONFIG_DOCUMENT_MALFORMED');
    const many = Object.fromEntries([['station.yaml', 'x'], ...Array.from({ length: 64 }, (_, i) => [`profiles/p${i}.yaml`, 'x'])]);
    expect((await refusal(await signRaw(key.signing.privateKey, key.signing.kid, payload({ files: many })))).code).toBe('CONFIG_DOCUMENT_TOO_LARGE');
    const noStation = await refusal(await signRaw(key.signing.privateKey, key.signing.kid, payload({ files: { 'profiles/a.yaml': 'x' } })));
    expect(noStation.message).toBe('payload files: must hold "station.yaml"');
    const badRevision = await refusal(await signRaw(key.signing.privateKey, key.signing.kid, payload({ revision: 0 })));
    expect(badRevision.code).toBe('CONFIG_DOCUMENT_MALFORMED');
    expect(badRevision.message).toMatch(/^payload revision: /);
    const extra = await refusal(await signRaw(key.signing.privateKey, key.signing.kid, payload({ command: 'rm -rf /' })));
    expect(extra.code).toBe('CONFIG_DOCUMENT_MALFORMED');
    const [, body, sig] = (await sign(key, STATION, 3, FILES)).split('.');
    const hs256 = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: key.signing.kid, typ: 'station-config+jws' })).toString('base64url')}.${body}.${sig}`;
    expect((await refusal(hs256)).message).toBe('algorithm HS256 is not accepted (EdDSA only)');
  });

  it('claims a revision that a report of its refusal can name, without trusting it', async () => {
    expect(claimedRevision(await signRaw(await otherKey(), 'x', payload({ revision: 41 })))).toBe(41);
    expect(claimedRevision('garbage')).toBeUndefined();
  });
});
