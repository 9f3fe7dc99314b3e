/**
 * RFC 9285 base45, encoding only: the phone writes codes, it never reads them. Written for the
 * page from docs/passes.md, apart from the station's decoder, so the two can disagree in a test.
 * Every character is in the QR alphanumeric set, which packs 5.5 bits a character.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = bytes[i]! * 256 + bytes[i + 1]!;
    // Least significant digit first: c + 45d + 2025e is written c, d, e.
    out += ALPHABET[n % 45]! + ALPHABET[Math.floor(n / 45) % 45]! + ALPHABET[Math.floor(n / 2025)]!;
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += ALPHABET[n % 45]! + ALPHABET[Math.floor(n / 45)]!;
  }
  return out;
}
