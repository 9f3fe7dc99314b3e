import { createHash } from 'node:crypto';
import type { Action } from '../token-verifier.js';
import { decodeBase45 } from './base45.js';
import { asArray, asBytes, asIndex, asText, asUint, ShapeError } from './cbor-shape.js';
import { MAX_NAME_CHARS, MAX_ROLLING_CODE_BYTES, MAX_ROLLING_CODE_CHARS, PASS_ACTIONS, PHONE_SIGNATURE_CONTEXT, ROLLING_CODE_PREFIX } from './pass-format.js';
import { decodeCbor, encodeCbor } from './strict-cbor.js';

/** What a scanner read, taken apart; nothing in it is verified yet. */
export interface RollingCode {
  /** The pass exactly as the cloud signed it (a COSE_Sign1), hashed into the phone's signature. */
  pass: Uint8Array;
  step: number;
  /** The station code the phone signed for, or '' where it did not know where it was. */
  station: string;
  act: Action;
  res: string;
  /** The phone's Ed25519 signature over phoneMessage(). */
  signature: Uint8Array;
}

/** The cheapest check there is: the prefix and the length, before decoding anything. */
export const looksLikeRollingCode = (text: string): boolean => text.length <= MAX_ROLLING_CODE_CHARS && text.startsWith(ROLLING_CODE_PREFIX);

/** Throws ShapeError (or Base45Error, CborError) on anything that is not a rolling code's shape. */
export function parseRollingCode(text: string): RollingCode {
  if (!looksLikeRollingCode(text)) throw new ShapeError(`not a rolling code (${ROLLING_CODE_PREFIX}…, at most ${MAX_ROLLING_CODE_CHARS} characters)`);
  const bytes = decodeBase45(text.slice(ROLLING_CODE_PREFIX.length));
  if (bytes.length > MAX_ROLLING_CODE_BYTES) throw new ShapeError(`${bytes.length} bytes, over ${MAX_ROLLING_CODE_BYTES}`);
  const [pass, step, station, act, res, signature] = asArray(decodeCbor(bytes), 'the rolling code', 6);
  return {
    pass: asBytes(pass, 'the pass', 1, MAX_ROLLING_CODE_BYTES),
    step: asUint(step, 'the time step'),
    station: asText(station, 'the station code', 0, MAX_NAME_CHARS),
    act: asIndex(act, 'the action', PASS_ACTIONS),
    res: asText(res, 'the resource', 1, MAX_NAME_CHARS),
    signature: asBytes(signature, 'the phone signature', 64, 64),
  };
}

/**
 * What the phone signs: the context string, the pass's SHA-256, then the code's own fields, as a
 * deterministic CBOR array. Hashing the pass binds the code to these exact bytes without signing
 * them twice; the context keeps the signature from meaning anything in another protocol.
 */
export function phoneMessage(code: Omit<RollingCode, 'signature'>): Uint8Array {
  const passHash = createHash('sha256').update(code.pass).digest();
  return encodeCbor([PHONE_SIGNATURE_CONTEXT, new Uint8Array(passHash), code.step, code.station, PASS_ACTIONS.indexOf(code.act), code.res]);
}
