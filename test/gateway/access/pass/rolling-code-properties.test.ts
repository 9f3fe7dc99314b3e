import { decode, encode, rfc8949EncodeOptions } from 'cborg';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessDenied } from '../../../../gateway/access/access-error.js';
import { BASE45_ALPHABET, decodeBase45 } from '../../../../gateway/access/pass/base45.js';
import { verifyRollingCode } from '../../../../gateway/access/pass/rolling-code-verifier.js';
import { encodeBase45, rollingCode, rollingCodeBytes } from '../../../../simulators/cloud/pass-issuer.js';
import { NOW, options, passWorld, trusted, workerPass, type PassWorld } from './pass-fixture.js';

/*
 * No random text and no change to a valid code opens anything. Each property first shows the
 * unchanged code opening, so a verifier that refused everything would fail here too.
 */

let world: PassWorld;
let valid: Uint8Array;
let otherPass: Uint8Array;
beforeAll(async () => {
  world = await passWorld();
  valid = rollingCodeBytes(workerPass(world), world.phone, { act: 'unlock', res: 'main-door', at: NOW });
  otherPass = workerPass(world, { sub: 'w-other' });
});

const opens = (text: string): boolean => {
  try {
    verifyRollingCode(text, trusted(), options(world));
    return true;
  } catch (err) {
    // Anything else thrown (a TypeError from a decoder) would be a bug, not a refusal.
    if (!(err instanceof AccessDenied)) throw err;
    return false;
  }
};
const asText = (bytes: Uint8Array): string => `RC1:${encodeBase45(bytes)}`;

describe('no random or changed rolling code opens anything', () => {
  it('the valid code opens, so the properties below can fail', () => {
    expect(opens(asText(valid))).toBe(true);
  });

  it('random text, with and without the prefix', () => {
    const b45 = fc.array(fc.constantFrom(...BASE45_ALPHABET), { maxLength: 700 }).map((c) => c.join(''));
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 800 }), b45.map((s) => `RC1:${s}`)), (text) => !opens(text)), { numRuns: 2000 });
  });

  it('random bytes behind the prefix, and random CBOR of the code\'s shape', () => {
    const shaped = fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.string({ maxLength: 20 }), fc.nat(4), fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ minLength: 64, maxLength: 64 }));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => !opens(asText(bytes))), { numRuns: 1000 });
    fc.assert(fc.property(shaped, (fields) => !opens(asText(encode(fields, rfc8949EncodeOptions)))), { numRuns: 1000 });
  });

  it('any single bit flipped (every one of them, not a sample)', () => {
    for (let bit = 0; bit < valid.length * 8; bit++) {
      const changed = valid.slice();
      changed[bit >> 3]! ^= 1 << (bit & 7);
      expect(opens(asText(changed)), `bit ${bit}`).toBe(false);
    }
  });

  it('truncated anywhere, or with bytes appended', () => {
    for (let n = 0; n < valid.length; n++) expect(opens(asText(valid.slice(0, n))), `first ${n} bytes`).toBe(false);
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (extra) => !opens(asText(new Uint8Array([...valid, ...extra])))), { numRuns: 500 });
  });

  it('any character of the text changed, dropped or added', () => {
    const text = asText(valid);
    const at = fc.nat(text.length - 1);
    const char = fc.constantFrom(...BASE45_ALPHABET);
    fc.assert(
      fc.property(at, char, fc.constantFrom('replace', 'drop', 'insert'), (i, c, how) => {
        const changed = how === 'replace' ? text.slice(0, i) + c + text.slice(i + 1) : how === 'drop' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + c + text.slice(i);
        return changed === text || !opens(changed);
      }),
      { numRuns: 2000 },
    );
  });

  it('two fields swapped, or one field taken from another valid code', () => {
    const fields = decode(valid, { useMaps: true }) as unknown[];
    const other = decode(rollingCodeBytes(otherPass, world.phone, { act: 'swap', res: 'cabinet-1', station: 'demo-hz-0001', step: 359231041 }), { useMaps: true }) as unknown[];
    const pairs = fc.tuple(fc.nat(5), fc.nat(5)).filter(([a, b]) => a !== b);
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const swapped = fields.slice();
        [swapped[a], swapped[b]] = [swapped[b], swapped[a]];
        return !opens(asText(encode(swapped, rfc8949EncodeOptions)));
      }),
    );
    for (let i = 0; i < fields.length; i++) {
      const mixed = fields.slice();
      mixed[i] = other[i];
      expect(opens(asText(encode(mixed, rfc8949EncodeOptions))), `field ${i} from another code`).toBe(false);
    }
  });

  it('the pass inside changed: any bit of it, or its claims re-signed by the phone (not the cloud)', () => {
    const [pass] = decode(valid, { useMaps: true }) as [Uint8Array];
    fc.assert(
      fc.property(fc.nat(pass.length * 8 - 1), (bit) => {
        const changed = pass.slice();
        changed[bit >> 3]! ^= 1 << (bit & 7);
        // The phone signs its part anew over the changed pass: only the cloud's signature can catch it.
        return !opens(rollingCode(changed, world.phone, { act: 'unlock', res: 'main-door', at: NOW }));
      }),
      { numRuns: 1000 },
    );
    expect(decodeBase45(rollingCode(pass, world.phone, { act: 'unlock', res: 'main-door', at: NOW }).slice(4))).toEqual(valid);
  });
});
