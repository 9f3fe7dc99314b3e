import { importJWK, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { PassVerifier } from '../../../gateway/access/pass/pass-verifier.js';
import { TokenVerifier } from '../../../gateway/access/token-verifier.js';
import { TrustedKeySet } from '../../../gateway/access/trusted-key-set.js';
import { rollingCode, stepAt } from '../../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, issueToken, type IssuerKey } from '../../../simulators/cloud/token-issuer.js';
import { NOW, STATION, passWorld, trusted, workerPass, type PassWorld } from './pass/pass-fixture.js';

/*
 * A key rotation reaches every checker of the fleet's access keys at once: tokens and passes are
 * checked against the same set, so after one replace neither still takes the dropped key.
 */
describe('the shared trusted key set', () => {
  let world: PassWorld;
  let next: IssuerKey;
  let nextKeys: Map<string, CryptoKey>;

  beforeAll(async () => {
    world = await passWorld();
    next = await generateIssuerKey('fleet-2027-01');
    nextKeys = new Map([[next.kid, (await importJWK({ ...next.publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey]]);
  });

  const codeBy = (signer: IssuerKey): string =>
    rollingCode(workerPass(world, {}, signer), world.phone, { step: stepAt(NOW), station: STATION, act: 'unlock', res: 'main-door' });
  const tokenBy = (signer: IssuerKey): Promise<string> => issueToken(signer, { station: STATION, res: 'main-door', act: 'unlock', issuedAt: new Date(Date.now() - 1000) });

  it('swaps the keys of the token and the pass checks in one replace', async () => {
    const keys = new TrustedKeySet(world.keys);
    const tokens = new TokenVerifier({ stationId: STATION, keys, maxTokenSeconds: 300, skewSeconds: 60, untrustedClock: 'floor' });
    const passes = new PassVerifier({ keys, stationId: STATION, skewSeconds: 60, untrustedClock: 'floor' });
    const unseen = (): boolean => false;

    await expect(tokens.authenticate(await tokenBy(world.fleet))).resolves.toBeDefined();
    expect(passes.verify(codeBy(world.fleet), trusted(), unseen).passId).toBeTruthy();

    expect(keys.compare(nextKeys)).toEqual({ added: ['fleet-2027-01'], removed: ['fleet-2026-12'], replaced: [] });
    keys.replace(nextKeys);

    await expect(tokens.authenticate(await tokenBy(world.fleet))).rejects.toMatchObject({ code: 'UNKNOWN_KEY' });
    expect(() => passes.verify(codeBy(world.fleet), trusted(), unseen)).toThrow(expect.objectContaining({ code: 'UNKNOWN_KEY' }));
    await expect(tokens.authenticate(await tokenBy(next))).resolves.toBeDefined();
    expect(passes.verify(codeBy(next), trusted(), unseen).passId).toBeTruthy();
  });

  it('names a key whose material changed under the same kid as replaced', async () => {
    const keys = new TrustedKeySet(world.keys);
    const forged = new Map([[world.forger.kid, (await importJWK({ ...world.forger.publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey]]);
    expect(keys.compare(forged)).toEqual({ added: [], removed: [], replaced: ['fleet-2026-12'] });
  });
});
