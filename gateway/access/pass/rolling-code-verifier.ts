import { KeyObject, createPublicKey, verify } from 'node:crypto';
import { AccessDenied, UnverifiedToken } from '../access-error.js';
import type { ClockReading } from '../clock-trust.js';
import type { AccessClaims, Action } from '../token-verifier.js';
import type { TrustedKeys } from '../../../config/trusted-keys.js';
import { parseCoseSign1, verifySign1, type CoseSign1 } from './cose-sign1.js';
import { readPassClaims, type PassClaims } from './pass-claims.js';
import { MAX_PASS_SECONDS, SKEW_STEPS, STEP_SECONDS } from './pass-format.js';
import { parseRollingCode, phoneMessage, type RollingCode } from './rolling-code.js';

export interface RollingCodeOptions {
  keys: TrustedKeys;
  stationId: string;
  /** A shorter code for this station that phones may sign instead of its id (printed on the door). */
  stationCode?: string;
  /** The groups this station belongs to; a pass may name a group instead of stations. */
  stationGroups?: readonly string[];
  /** The pass's validity window is judged with this slack, as a token's (access.clockSkewSeconds). */
  skewSeconds: number;
  /** What to do while the clock is not trusted, as for tokens (docs/access.md). */
  untrustedClock: 'floor' | 'refuse';
  /** Whether this replay key was granted already; each code counts once. */
  seen: (replayKey: string) => boolean;
  stepSeconds?: number;
  skewSteps?: number;
  maxPassSeconds?: number;
}

export interface VerifiedRollingCode {
  /**
   * In the shape the access decision takes for tokens: `res` and `act` the code asks for, `iat` the
   * pass's (the cloud's clock vouches for it, so it may raise the time floor; the step is the
   * phone's and must not), `exp` the end of the code's window (what the replay cache keeps its key
   * for), `jti` the replay key.
   */
  claims: AccessClaims;
  pass: PassClaims;
  /** The pass's cti in base64url: what a revocation names. */
  passId: string;
  step: number;
  replayKey: string;
}

/** What a refusal names about a code whose pass the cloud did sign. */
export interface SignedCode {
  pass: PassClaims;
  /** The pass's cti in base64url: what a revocation names. */
  passId: string;
  step: number;
  res: string;
  act: Action;
}

/**
 * A refusal of a code whose pass the cloud did sign, with what was read of it: the access decision
 * names the worker, spends their budget and asks the revocation list without reading the code again.
 */
export class PassDenied extends AccessDenied {
  constructor(
    denied: AccessDenied,
    readonly signed: SignedCode,
  ) {
    super(denied.code, denied.message);
    this.name = 'PassDenied';
  }
}

/**
 * Checks a rolling code as docs/passes.md lists, cheapest first. What fails before the cloud's
 * signature verifies is an UnverifiedToken (free junk, counted apart); everything after is an
 * AccessDenied with the contract's code, about a pass the cloud did issue.
 */
export function verifyRollingCode(text: string, clock: ClockReading, options: RollingCodeOptions): VerifiedRollingCode {
  const { code, sign1, kid } = authenticate(text, options.keys);
  let pass: PassClaims;
  try {
    pass = readPassClaims(sign1.payload);
  } catch (err) {
    throw new AccessDenied('BAD_TOKEN', `the pass's claims: ${(err as Error).message}`);
  }
  const passId = Buffer.from(pass.cti).toString('base64url');
  const stepSeconds = options.stepSeconds ?? STEP_SECONDS;
  const skewSteps = options.skewSteps ?? SKEW_STEPS;
  const replayKey = `pass:${passId}:${code.step}`;
  try {
    checkPass(pass, clock, options);
    if (!phoneSigned(code, pass.phoneKey)) throw new AccessDenied('BAD_TOKEN', 'the phone\'s signature does not verify with the key in the pass');
    if (code.station !== '' && code.station !== options.stationId && code.station !== options.stationCode) {
      throw new AccessDenied('WRONG_STATION', 'the phone made this code for another station');
    }
    checkStep(code.step, clock, stepSeconds, skewSteps);
    checkStepInPass(code.step * stepSeconds, pass, options.skewSeconds);
    if (!pass.grants.some((g) => g.act === code.act && (g.res === null || g.res === code.res))) {
      throw new AccessDenied('FORBIDDEN', `the pass does not allow "${code.act}" on ${code.res}`);
    }
    if (options.seen(replayKey)) throw new AccessDenied('REPLAYED', 'this code was used already; the phone shows a new one every few seconds');
  } catch (err) {
    if (err instanceof AccessDenied) throw new PassDenied(err, { pass, passId, step: code.step, res: code.res, act: code.act });
    throw err;
  }
  const windowEndMs = (code.step + skewSteps + 1) * stepSeconds * 1000;
  return {
    claims: {
      iss: pass.iss ?? `key:${kid}`,
      sub: pass.sub,
      res: code.res,
      act: code.act,
      iat: new Date(pass.iat * 1000),
      exp: new Date(Math.min(pass.exp * 1000, windowEndMs)),
      jti: replayKey,
      role: pass.role,
      kid,
    },
    pass,
    passId,
    step: code.step,
    replayKey,
  };
}

function phoneSigned(code: RollingCode, x: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(x).toString('base64url') }, format: 'jwk' });
    return verify(null, phoneMessage(code), key, code.signature);
  } catch {
    // 32 bytes that are no point on the curve: no signature can verify with them.
    return false;
  }
}

/** The shape of the code and of its pass, and the cloud's signature: all that anyone can send for free. */
function authenticate(text: string, keys: TrustedKeys): { code: RollingCode; sign1: CoseSign1; kid: string } {
  let code: RollingCode;
  let sign1: CoseSign1;
  try {
    code = parseRollingCode(text);
    sign1 = parseCoseSign1(code.pass);
  } catch (err) {
    throw new UnverifiedToken('BAD_TOKEN', `not a valid rolling code: ${(err as Error).message}`);
  }
  let kid: string;
  try {
    kid = new TextDecoder('utf-8', { fatal: true }).decode(sign1.kid);
  } catch {
    throw new UnverifiedToken('UNKNOWN_KEY', 'the pass names its key in bytes that are not UTF-8');
  }
  const key = keys.get(kid);
  if (!key) throw new UnverifiedToken('UNKNOWN_KEY', `key "${kid}" is not trusted by this station`);
  if (!verifySign1(sign1, KeyObject.from(key))) throw new UnverifiedToken('BAD_TOKEN', 'the pass\'s signature does not verify');
  return { code, sign1, kid };
}

/** The pass's lifetime, its stations and its validity window against the station's clock. */
function checkPass(pass: PassClaims, clock: ClockReading, options: RollingCodeOptions): void {
  const from = pass.nbf ?? pass.iat;
  if (pass.exp <= from) throw new AccessDenied('BAD_TOKEN', 'the pass\'s exp is not after its nbf (or iat)');
  if (from < pass.iat) throw new AccessDenied('BAD_TOKEN', 'the pass\'s nbf is before its iat');
  const max = options.maxPassSeconds ?? MAX_PASS_SECONDS;
  if (pass.exp - pass.iat > max) throw new AccessDenied('BAD_TOKEN', `pass lifetime ${pass.exp - pass.iat} s exceeds the ${max} s this station accepts`);
  const groups = options.stationGroups ?? [];
  if (!pass.stations.includes(options.stationId) && !pass.groups.some((g) => groups.includes(g))) {
    throw new AccessDenied('WRONG_STATION', 'the pass is for other stations');
  }
  const trusted = trustedNow(clock, options.untrustedClock);
  const skew = options.skewSeconds * 1000;
  const now = clock.now.getTime();
  // A clock that may be behind cannot judge "not yet": the step's lower bound still holds (checkStep).
  if (trusted && from * 1000 > now + skew) throw new AccessDenied('NOT_YET_VALID', 'the pass is not valid yet (check the clocks)');
  if (pass.exp * 1000 < now - skew) throw new AccessDenied('EXPIRED', 'the pass has expired');
}

/**
 * Whether the clock can judge "not yet"; refuses when the policy or the lack of any trusted time
 * says nothing can be judged (the token's rules, docs/access.md).
 */
function trustedNow(clock: ClockReading, policy: 'floor' | 'refuse'): boolean {
  if (clock.trusted) return true;
  if (policy === 'refuse') throw new AccessDenied('CLOCK_UNTRUSTED', 'the station clock is not synchronised');
  if (!clock.floor) throw new AccessDenied('CLOCK_UNTRUSTED', 'the station clock is not synchronised and it has never seen a trusted time');
  return false;
}

/**
 * The phone's step against the station's: at most `skewSteps` behind (a screenshot from before is
 * refused) and, on a trusted clock, at most that far ahead. On an untrusted clock (the ClockTrust
 * reads the floor when it is behind it) only the lower bound is judged, as for a token's expiry.
 */
function checkStep(step: number, clock: ClockReading, stepSeconds: number, skewSteps: number): void {
  const current = Math.floor(clock.now.getTime() / 1000 / stepSeconds);
  if (step < current - skewSteps) throw new AccessDenied('EXPIRED', `the code is from ${current - step} steps of ${stepSeconds} s ago; the phone shows a new one (check the phone's clock if this repeats)`);
  if (clock.trusted && step > current + skewSteps) throw new AccessDenied('NOT_YET_VALID', `the code is ${step - current} steps of ${stepSeconds} s ahead of the station (check the phone's clock)`);
}

/**
 * The step's time against the pass's validity, both signed, neither the station's clock: it bounds
 * a code from above even while the station's clock cannot (a phone cannot claim a time after its
 * pass expired, or before it was valid).
 */
function checkStepInPass(stepStart: number, pass: PassClaims, skewSeconds: number): void {
  if (stepStart > pass.exp + skewSeconds) throw new AccessDenied('EXPIRED', 'the code was made after the pass expired');
  if (stepStart < (pass.nbf ?? pass.iat) - skewSeconds) throw new AccessDenied('NOT_YET_VALID', 'the code was made before the pass was valid (check the phone\'s clock)');
}
