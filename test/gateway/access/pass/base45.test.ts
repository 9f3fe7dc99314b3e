import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE45_ALPHABET, Base45Error, decodeBase45, encodeBase45 } from '../../../../gateway/access/pass/base45.js';
import { encodeBase45 as issuerEncodeBase45 } from '../../../../simulators/cloud/pass-issuer.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base45 (RFC 9285)', () => {
  it('gives the RFC\'s examples (§4.1–4.3) both ways', () => {
    const examples: Array<[string, string]> = [
      ['AB', 'BB8'],
      ['Hello!!', '%69 VD92EX0'],
      ['base-45', 'UJCLQE7W581'],
      ['ietf!', 'QED8WEX0'],
      ['', ''],
    ];
    for (const [plain, encoded] of examples) {
      expect(encodeBase45(bytes(plain))).toBe(encoded);
      expect(issuerEncodeBase45(bytes(plain))).toBe(encoded);
      expect(text(decodeBase45(encoded))).toBe(plain);
    }
  });

  it('refuses what has no decoding: a group over 65535 (the RFC\'s "GGW"), a final pair over 255, a dangling character, a character outside the alphabet', () => {
    for (const bad of ['GGW', ':::', '::', 'BB8A', 'A', 'bb8', 'BB8\n', 'B=8']) expect(() => decodeBase45(bad), bad).toThrow(Base45Error);
    // The largest values that do decode, either side of those bounds.
    expect([...decodeBase45('FGW')]).toEqual([0xff, 0xff]);
    expect([...decodeBase45('U5')]).toEqual([0xff]);
  });

  it('round-trips any bytes, the issuer\'s encoder agrees, and an encoding never starts or ends in a space (a scanner\'s trim takes nothing)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const encoded = encodeBase45(b);
        expect(issuerEncodeBase45(b)).toBe(encoded);
        expect([...decodeBase45(encoded)]).toEqual([...b]);
        expect(encoded.endsWith(' ')).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('is strict: any text that decodes is the one encoding of its bytes', () => {
    const char = fc.constantFrom(...BASE45_ALPHABET);
    fc.assert(
      fc.property(fc.array(char, { maxLength: 60 }), (chars) => {
        const s = chars.join('');
        let decoded: Uint8Array;
        try {
          decoded = decodeBase45(s);
        } catch (err) {
          expect(err).toBeInstanceOf(Base45Error);
          return;
        }
        expect(encodeBase45(decoded)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });
});
