import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyRevocationDocument } from '../../../../gateway/access/revocation/revocation-document.js';
import { RevocationError } from '../../../../gateway/access/revocation/revocation-error.js';
import { tempDir } from '../../../helpers/temp-dir.js';
import { iso, listOf, revocationKeys, sign, signRaw, T0 } from './revocation-fixture.js';

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RevocationError);
    return (err as RevocationError).code;
  }
  throw new Error('expected a RevocationError');
};

describe('verifyRevocationDocument', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => void (dir = tempDir('revocation-doc-')));
  afterEach(() => dir.remove());

  it('takes a list signed with a trusted access key', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    const list = listOf(3, { passes: [{ id: 'ASNFZ4mrze8BI0VniavN7w', until: iso(T0 + 86_400_000) }], workers: [{ sub: 'w-1', before: iso(T0), until: iso(T0 + 7 * 86_400_000) }] });
    expect(await verifyRevocationDocument(await sign(key, list), keys)).toEqual(list);
  });

  it('refuses a key the station does not trust, a forged signature, another typ and a wrong shape', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    const { key: stranger } = await revocationKeys(dir.path, 'someone-else');
    expect(await codeOf(verifyRevocationDocument(await sign(stranger, listOf(1)), keys))).toBe('REVOCATION_UNKNOWN_KEY');

    const good = await sign(key, listOf(1));
    const [h, p, s] = good.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify(listOf(99))).toString('base64url');
    expect(await codeOf(verifyRevocationDocument(`${h}.${forgedPayload}.${s}`, keys))).toBe('REVOCATION_BAD_SIGNATURE');
    expect(await codeOf(verifyRevocationDocument(`${h}.${p}.${s.slice(0, -4)}AAAA`, keys))).toBe('REVOCATION_BAD_SIGNATURE');

    // A configuration document signed by the same key is never taken for a list.
    expect(await codeOf(verifyRevocationDocument(await signRaw(key, listOf(1), 'station-config+jws'), keys))).toBe('REVOCATION_MALFORMED');
    expect(await codeOf(verifyRevocationDocument(await signRaw(key, { ...listOf(1), seq: 0 }), keys))).toBe('REVOCATION_MALFORMED');
    expect(await codeOf(verifyRevocationDocument(await signRaw(key, { ...listOf(1), extra: true }), keys))).toBe('REVOCATION_MALFORMED');
    expect(await codeOf(verifyRevocationDocument(await signRaw(key, listOf(1, { passes: [{ id: 'no', until: iso(T0) }] })), keys))).toBe('REVOCATION_MALFORMED');
    expect(await codeOf(verifyRevocationDocument('not a jws', keys))).toBe('REVOCATION_MALFORMED');
  });

  it('refuses a list over 1 MiB unread, and one over 20,000 entries before its entries are read', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    await expect(verifyRevocationDocument('e'.repeat(1024 * 1024 + 1), keys)).rejects.toMatchObject({ code: 'REVOCATION_TOO_LARGE' });
    const many = await signRaw(key, { seq: 2, issuedAt: iso(T0), passes: new Array(20_001).fill({}), workers: [] });
    expect(many.length).toBeLessThan(1024 * 1024);
    await expect(verifyRevocationDocument(many, keys)).rejects.toMatchObject({ code: 'REVOCATION_TOO_LARGE', message: expect.stringContaining('20001 entries') });
    const atBound = await signRaw(key, { seq: 2, issuedAt: iso(T0), passes: new Array(20_000).fill({}), workers: [] });
    expect(await codeOf(verifyRevocationDocument(atBound, keys))).toBe('REVOCATION_MALFORMED');
  });
});
