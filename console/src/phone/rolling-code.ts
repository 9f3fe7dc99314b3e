import { encode, rfc8949EncodeOptions } from 'cborg';
import { encodeBase45 } from './base45.js';
import { MAX_PASS_BYTES } from './pass-reader.js';

/*
 * The phone's rolling code, written for the page from docs/passes.md ("The rolling code"), apart
 * from the station's verifier (gateway/access/pass/) and the bench's issuer
 * (simulators/cloud/pass-issuer.ts): the console may not import either, and a third
 * implementation that must agree with the station's is a check on the document as much as on the code.
 */

export const STEP_SECONDS = 5;
const PREFIX = 'RC1:';
const CONTEXT = 'station-gateway rolling code v1';
const MAX_CODE_BYTES = 800;
const MAX_TEXT_CHARS = 1200;

export interface CodeRequest {
  /** floor(unix seconds / 5) on the phone's clock. */
  step: number;
  /** The station id or the code on its door; '' where the phone does not know. */
  station: string;
  /** The action number (0 unlock … 4 diagnose). */
  act: number;
  res: string;
}

/** Pure Ed25519 over the message with the phone's private key (which never leaves WebCrypto). */
export type PhoneSigner = (message: Uint8Array) => Promise<Uint8Array>;

export const stepAt = (ms: number): number => Math.floor(ms / 1000 / STEP_SECONDS);

/** Deterministic CBOR (RFC 8949 §4.2.1); the code holds no maps, so that is shortest forms only. */
const cbor = (value: unknown): Uint8Array => encode(value, rfc8949EncodeOptions);

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** What the phone signs: the domain string, the pass's hash, and the request. */
export async function phoneMessage(pass: Uint8Array, request: CodeRequest): Promise<Uint8Array> {
  return cbor([CONTEXT, await sha256(pass), request.step, request.station, request.act, request.res]);
}

export async function rollingCodeBytes(pass: Uint8Array, request: CodeRequest, sign: PhoneSigner): Promise<Uint8Array> {
  checkRequest(pass, request);
  const signature = await sign(await phoneMessage(pass, request));
  if (signature.length !== 64) throw new Error(`an Ed25519 signature is 64 bytes, not ${signature.length}`);
  const bytes = cbor([pass, request.step, request.station, request.act, request.res, signature]);
  if (bytes.length > MAX_CODE_BYTES) throw new Error(`the code is ${bytes.length} bytes; a station reads at most ${MAX_CODE_BYTES}`);
  return bytes;
}

/** The text the QR code holds: `RC1:` and base45, all in the QR alphanumeric set. */
export async function rollingCodeText(pass: Uint8Array, request: CodeRequest, sign: PhoneSigner): Promise<string> {
  const text = PREFIX + encodeBase45(await rollingCodeBytes(pass, request, sign));
  if (text.length > MAX_TEXT_CHARS) throw new Error(`the code is ${text.length} characters; a station reads at most ${MAX_TEXT_CHARS}`);
  return text;
}

function checkRequest(pass: Uint8Array, r: CodeRequest): void {
  if (pass.length === 0 || pass.length > MAX_PASS_BYTES) throw new Error('no pass, or a pass too large for a code');
  if (!Number.isSafeInteger(r.step) || r.step < 0) throw new Error('the step is a whole number of 5 s since 1970');
  if (!Number.isInteger(r.act) || r.act < 0 || r.act > 4) throw new Error(`no action ${r.act}`);
  // Lengths in code points, as the station counts them.
  if ([...r.station].length > 64) throw new Error('a station code is at most 64 characters');
  const res = [...r.res].length;
  if (res < 1 || res > 64) throw new Error('a resource name is 1 to 64 characters');
}
