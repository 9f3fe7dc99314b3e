/**
 * Base45 (RFC 9285): bytes as text in the QR code's alphanumeric alphabet, 11 bits a character
 * where byte mode spends 8 bits on each base64 character. The decoder is strict: every input has
 * exactly one decoding and every byte string exactly one encoding, so a rolling code cannot be
 * re-spelled into a second text that decodes to the same bytes.
 */
export const BASE45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

const VALUE = new Map<string, number>([...BASE45_ALPHABET].map((c, i) => [c, i]));

export class Base45Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Base45Error';
  }
}

export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = bytes[i]! * 256 + bytes[i + 1]!;
    out += BASE45_ALPHABET[n % 45]! + BASE45_ALPHABET[Math.floor(n / 45) % 45]! + BASE45_ALPHABET[Math.floor(n / 2025)]!;
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += BASE45_ALPHABET[n % 45]! + BASE45_ALPHABET[Math.floor(n / 45)]!;
  }
  return out;
}

/** Throws Base45Error on a character outside the alphabet, a dangling character or a group out of range. */
export function decodeBase45(text: string): Uint8Array {
  if (text.length % 3 === 1) throw new Base45Error(`length ${text.length} leaves a single character`);
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  const digit = (at: number): number => {
    const v = VALUE.get(text[at]!);
    if (v === undefined) throw new Base45Error(`character ${JSON.stringify(text[at])} at ${at} is not base45`);
    return v;
  };
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    if (i + 2 < text.length) {
      const n = digit(i) + digit(i + 1) * 45 + digit(i + 2) * 2025;
      // 45³ − 1 exceeds 65535: the RFC's decoders must refuse such groups, or two texts mean one value.
      if (n > 0xffff) throw new Base45Error(`group at ${i} is ${n}, over 65535`);
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = digit(i) + digit(i + 1) * 45;
      if (n > 0xff) throw new Base45Error(`final pair at ${i} is ${n}, over 255`);
      out[o++] = n;
    }
  }
  return out;
}
