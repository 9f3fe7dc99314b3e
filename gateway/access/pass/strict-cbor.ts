import { decode, encode, rfc8949EncodeOptions } from 'cborg';

/**
 * CBOR as this format allows it: RFC 8949 core deterministic encoding (§4.2.1) only. Decoding
 * refuses indefinite lengths, duplicate map keys, tags, undefined, big integers, non-minimal
 * integers and trailing bytes (cborg's options), and then whatever those leave that could still
 * spell one value two ways (a map out of key order, a float that could be shorter, broken UTF-8):
 * the value must encode back to exactly the bytes it came from.
 */
const DECODE = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  useMaps: true,
  rejectDuplicateMapKeys: true,
} as const;

export class CborError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CborError';
  }
}

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value, rfc8949EncodeOptions);
}

export function decodeCbor(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = decode(bytes, DECODE);
  } catch (err) {
    throw new CborError((err as Error).message);
  }
  if (!sameBytes(encodeCbor(value), bytes)) throw new CborError('not in deterministic encoding');
  return value;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
