import { describe, expect, it } from 'vitest';
import { CborError, decodeCbor, encodeCbor } from '../../../../gateway/access/pass/strict-cbor.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/ /g, ''), 'hex'));

describe('strict CBOR', () => {
  it('takes deterministic encodings, with integer map keys as Maps and byte strings as bytes', () => {
    expect(decodeCbor(hex('a2 01 26 3a00010000 a0'))).toEqual(new Map<number, unknown>([[1, -7], [-65537, new Map()]]));
    expect(decodeCbor(hex('82 41 ff 60'))).toEqual([new Uint8Array([0xff]), '']);
    const value = new Map<number, unknown>([[-65537, [1, 'x']], [8, new Uint8Array(2)], [1, 'a']]);
    expect(decodeCbor(encodeCbor(value))).toEqual(value);
  });

  it('refuses each way of spelling a value twice or of hiding bytes', () => {
    const refused: Record<string, string> = {
      'trailing bytes': '01 01',
      'an indefinite-length array': '9f 01 ff',
      'an indefinite-length byte string': '5f 41 00 ff',
      'a duplicate map key': 'a2 01 01 01 02',
      'a map out of key order': 'a2 02 01 01 02',
      'an integer in more bytes than needed': '18 01',
      'a tag (COSE_Sign1\'s 18)': 'd2 80',
      'undefined': 'f7',
      'a float that could be shorter': 'fb 3ff8000000000000',
      'an integer beyond 2^53': '1b ffffffffffffffff',
      'text that is not UTF-8': '62 c3 28',
      'a truncated array': '82 01',
      'nothing at all': '',
    };
    for (const [what, bytes] of Object.entries(refused)) expect(() => decodeCbor(hex(bytes)), what).toThrow(CborError);
  });
});
