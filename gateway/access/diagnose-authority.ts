import { AccessDenied, UnverifiedToken } from './access-error.js';
import type { ClockTrust } from './clock-trust.js';
import type { AccessClaims, SignedClaims, TokenVerifier } from './token-verifier.js';
import { looksLikeToken, tokenText } from './token-text.js';
import { looksLikeRollingCode } from './pass/rolling-code.js';
import type { PassVerifier } from './pass/pass-verifier.js';
import { PassDenied, type SignedCode, type VerifiedRollingCode } from './pass/rolling-code-verifier.js';
import type { RevocationCheck } from './revocation-check.js';

export interface DiagnoseAuthorityOptions {
  stationId: string;
  verifier: TokenVerifier;
  /** Operator passes' rolling codes (`RC1:`); without it they are refused as junk. */
  passes?: PassVerifier | undefined;
  /** The fleet's revocation list, asked about each pass whose cloud signature verified. */
  revocations?: RevocationCheck | undefined;
  clock: ClockTrust;
}

/** How a credential is named on record: a token by its jti, a rolling code by its pass and step. */
export type CredentialRef = { jti: string } | { pass: string; step: number };

/**
 * A credential whose cloud signature verified, not yet checked for `diagnose`: what the budget
 * and the audit name before the station's own checks.
 */
export type DiagnoseCredential =
  | { kind: 'token'; signed: SignedClaims }
  | { kind: 'code'; signed: SignedCode; verified: VerifiedRollingCode | undefined; refused: AccessDenied | undefined };

/** Who and what a verified credential names, for the audit of a refusal. */
export interface NamedCredential {
  sub: string;
  act: string;
  res: string;
  ref: CredentialRef;
}

/**
 * Who may read a station's logs and doctor checks from afar: an operator credential (`role`
 * operator) for the action `diagnose` whose resource is the station itself (`res` = the station
 * id, as a token's `aud` is), checked with the same keys, lifetime and clock rules as every
 * access credential (docs/diagnostics.md). Two credentials: the cloud's short token (JWS), and an
 * operator pass's rolling code (`RC1:`, signed in the operator's browser). Unlike an access
 * credential it is not spent (no replay claim): reading changes nothing, and paging a log takes
 * several requests within the token's minutes or the code's 15 s. Each use is audited.
 */
export class DiagnoseAuthority {
  constructor(private readonly options: DiagnoseAuthorityOptions) {}

  /** The signature: everything refused before it verifies is an UnverifiedToken (free to send). */
  async authenticate(token: string): Promise<DiagnoseCredential> {
    const text = tokenText(token);
    if (looksLikeRollingCode(text)) return this.authenticateCode(text);
    if (!looksLikeToken(text)) throw new UnverifiedToken('BAD_TOKEN', 'not a JWS in compact form');
    return { kind: 'token', signed: await this.options.verifier.authenticate(text) };
  }

  /** What a verified credential names (the audit of a refusal, the budget of its operator). */
  named(credential: DiagnoseCredential): NamedCredential {
    if (credential.kind === 'token') {
      const { sub, act, res, jti } = credential.signed.claims;
      return { sub, act, res, ref: { jti } };
    }
    const { signed } = credential;
    return { sub: signed.pass.sub, act: signed.act, res: signed.res, ref: { pass: signed.passId, step: signed.step } };
  }

  /** The station's checks of a verified credential for `diagnose`; throws AccessDenied with the contract's code. */
  check(credential: DiagnoseCredential): AccessClaims {
    const claims = credential.kind === 'token' ? this.checkToken(credential.signed) : this.checkCode(credential);
    if (claims.act !== 'diagnose') throw new AccessDenied('FORBIDDEN', `the ${credential.kind} allows "${claims.act}", not "diagnose"`);
    if (claims.role !== 'operator') throw new AccessDenied('FORBIDDEN', 'diagnostics need an operator token or an operator pass');
    if (claims.res !== this.options.stationId) {
      throw new AccessDenied('FORBIDDEN', `a diagnose ${credential.kind} names the station itself as res ("${this.options.stationId}"), not "${claims.res.slice(0, 64)}"`);
    }
    return claims;
  }

  private checkToken(signed: SignedClaims): AccessClaims {
    const reading = this.options.clock.read();
    const claims = this.options.verifier.check(signed, reading);
    this.options.clock.observed(claims.iat, 'token');
    return claims;
  }

  /** A revoked pass is refused as revoked whatever else is wrong with the code, as at the door. */
  private checkCode(credential: Extract<DiagnoseCredential, { kind: 'code' }>): AccessClaims {
    const { signed } = credential;
    const why = this.options.revocations?.revoked({ passId: signed.passId, sub: signed.pass.sub, iat: signed.pass.iat });
    if (why !== undefined) throw new AccessDenied('REVOKED', `this pass was revoked: ${why}`);
    if (credential.refused) throw credential.refused;
    const claims = credential.verified!.claims;
    // The pass's iat is the cloud's signed time; the step is the browser's and moves nothing.
    this.options.clock.observed(claims.iat, 'pass');
    return claims;
  }

  /**
   * The code checked in one go, as the access decision does, but never as seen: a diagnose code
   * is not spent, so the replay cache is not asked (and a spending code of the same step does
   * not shadow it). A refusal of a signed pass is kept for `check`, after the budget.
   */
  private authenticateCode(text: string): DiagnoseCredential {
    const { passes } = this.options;
    if (!passes) throw new UnverifiedToken('BAD_TOKEN', 'this station takes no operator passes');
    try {
      const verified = passes.verify(text, this.options.clock.read(), () => false);
      const signed: SignedCode = { pass: verified.pass, passId: verified.passId, step: verified.step, res: verified.claims.res, act: verified.claims.act };
      return { kind: 'code', signed, verified, refused: undefined };
    } catch (err) {
      if (err instanceof PassDenied) return { kind: 'code', signed: err.signed, verified: undefined, refused: err };
      throw err;
    }
  }
}
