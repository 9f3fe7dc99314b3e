import { verify, type KeyObject } from 'node:crypto';
import { asArray, asBytes, asIntMap, ShapeError } from './cbor-shape.js';
import { COSE_ALG_ED25519, COSE_ALG_EDDSA, COSE_HEADER_ALG, COSE_HEADER_KID } from './pass-format.js';
import { decodeCbor, encodeCbor } from './strict-cbor.js';

/** A COSE_Sign1 (RFC 9052 §4.2) as this format allows it: Ed25519, kid protected, nothing unprotected. */
export interface CoseSign1 {
  protectedBytes: Uint8Array;
  alg: number;
  kid: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** Untagged: the rolling code's structure already says what this is, and a tag is a byte more. */
export function parseCoseSign1(bytes: Uint8Array): CoseSign1 {
  const [protectedBytes, unprotected, payload, signature] = asArray(decodeCbor(bytes), 'the pass', 4);
  const header = asBytes(protectedBytes, 'the protected header', 1, 128);
  const fields = asIntMap(decodeCbor(header), 'the protected header', [COSE_HEADER_ALG, COSE_HEADER_KID]);
  const alg = fields.get(COSE_HEADER_ALG);
  if (alg !== COSE_ALG_EDDSA && alg !== COSE_ALG_ED25519) throw new ShapeError(`algorithm ${String(alg)} is not accepted (EdDSA, Ed25519 only)`);
  // Everything that steers verification is under the signature: an unprotected kid could be swapped.
  if (asIntMap(unprotected, 'the unprotected header', []).size !== 0) throw new ShapeError('the unprotected header is not empty');
  return {
    protectedBytes: header,
    alg,
    kid: asBytes(fields.get(COSE_HEADER_KID), 'kid', 1, 64),
    payload: asBytes(payload, 'the payload', 1, 1024),
    signature: asBytes(signature, 'the signature', 64, 64),
  };
}

/** Sig_structure for COSE_Sign1 (RFC 9052 §4.4), with no external AAD. */
export function sign1Structure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

export function verifySign1(sign1: CoseSign1, key: KeyObject): boolean {
  return verify(null, sign1Structure(sign1.protectedBytes, sign1.payload), key, sign1.signature);
}
