import { AccessDenied, UnverifiedToken } from './access-error.js';
import type { ClockTrust } from './clock-trust.js';
import type { AccessClaims, SignedClaims, TokenVerifier } from './token-verifier.js';
import { looksLikeToken, tokenText } from './token-text.js';

export interface DiagnoseAuthorityOptions {
  stationId: string;
  verifier: TokenVerifier;
  clock: ClockTrust;
}

/**
 * Who may read a station's logs and doctor checks from afar: an operator token (`role`
 * operator) for the action `diagnose` whose resource is the station itself (`res` = the station
 * id, as `aud` is), checked with the same keys, lifetime and clock rules as every access token
 * (docs/diagnostics.md). Unlike an access token it is not spent: reading changes nothing, and
 * paging a log takes several requests within the token's few minutes. Each use is audited.
 */
export class DiagnoseAuthority {
  constructor(private readonly options: DiagnoseAuthorityOptions) {}

  /** The signature: everything refused before it verifies is an UnverifiedToken (free to send). */
  async authenticate(token: string): Promise<SignedClaims> {
    const text = tokenText(token);
    if (!looksLikeToken(text)) throw new UnverifiedToken('BAD_TOKEN', 'not a JWS in compact form');
    return this.options.verifier.authenticate(text);
  }

  /** The station's checks of a verified token for `diagnose`; throws AccessDenied with the contract's code. */
  check(signed: SignedClaims): AccessClaims {
    const reading = this.options.clock.read();
    const claims = this.options.verifier.check(signed, reading);
    this.options.clock.observed(claims.iat, 'token');
    if (claims.act !== 'diagnose') throw new AccessDenied('FORBIDDEN', `the token allows "${claims.act}", not "diagnose"`);
    if (claims.role !== 'operator') throw new AccessDenied('FORBIDDEN', 'diagnostics need an operator token');
    if (claims.res !== this.options.stationId) {
      throw new AccessDenied('FORBIDDEN', `a diagnose token names the station itself as res ("${this.options.stationId}"), not "${claims.res.slice(0, 64)}"`);
    }
    return claims;
  }
}
