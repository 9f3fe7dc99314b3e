import { decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import type { ClockReading } from './clock-trust.js';
import { AccessDenied, UnverifiedToken } from './access-error.js';
import type { TrustedKeys } from '../../config/trusted-keys.js';
import { keySetOf, type TrustedKeySet } from './trusted-key-set.js';
import { verifyEd25519Jws } from './ed25519-jws.js';

/** `diagnose`: an operator reads the station's logs and doctor checks (cmd/logs, cmd/doctor; docs/diagnostics.md). */
export const ACTIONS = ['unlock', 'swap', 'dispense', 'operate', 'diagnose'] as const;
export type Action = (typeof ACTIONS)[number];

const claimsSchema = z.object({
  iss: z.string().min(1),
  sub: z.string().min(1).max(128),
  aud: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  res: z.string().min(1).max(64),
  act: z.enum(ACTIONS),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(1).max(128),
  role: z.enum(['worker', 'operator']).optional(),
});

export interface AccessClaims {
  iss: string;
  sub: string;
  res: string;
  act: Action;
  iat: Date;
  exp: Date;
  jti: string;
  role: 'worker' | 'operator';
  kid: string;
}

export interface TokenVerifierOptions {
  stationId: string;
  /** The station's access keys: a set shared with the pass and revocation checks, so one reload swaps all. */
  keys: TrustedKeys | TrustedKeySet;
  maxTokenSeconds: number;
  skewSeconds: number;
  /** What to do while the clock is not trusted (docs/access.md). */
  untrustedClock: 'floor' | 'refuse';
  /** No token issued at or before this may be used: the store was reset, and its replay cache with it. */
  issuedAfter?: () => Date | undefined;
}

/** What a verified signature vouches for, before the station's own checks (audience, lifetime, time). */
export interface SignedClaims {
  claims: z.infer<typeof claimsSchema>;
  kid: string;
}

/** Ed25519 under its JOSE names: `EdDSA` (RFC 8037, the contract's) and `Ed25519` (RFC 9864). */
const ALGORITHMS = new Set(['EdDSA', 'Ed25519']);

/**
 * Checks an access token as the contract lists: the signature against a trusted key named by
 * `kid`, the claims' shape, the audience, the lifetime and the time window against the clock the
 * ClockTrust vouches for. What it does not know (resources, roles, replay) is the caller's. Each
 * refusal is an AccessDenied with the contract's code; nothing about the token is logged here.
 */
export class TokenVerifier {
  private readonly keys: TrustedKeySet;

  constructor(private readonly options: TokenVerifierOptions) {
    this.keys = keySetOf(options.keys);
  }

  async verify(token: string, clock: ClockReading): Promise<AccessClaims> {
    return this.check(await this.authenticate(token), clock);
  }

  /**
   * The signature and the claims' shape: what proves the cloud issued this. Everything refused
   * before the signature verifies is an UnverifiedToken (anyone can send it, for free).
   */
  async authenticate(token: string): Promise<SignedClaims> {
    let kid: unknown;
    let alg: unknown;
    try {
      ({ kid, alg } = decodeProtectedHeader(token));
    } catch {
      throw new UnverifiedToken('BAD_TOKEN', 'not a JWS in compact form');
    }
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) throw new UnverifiedToken('BAD_TOKEN', `algorithm ${String(alg)} is not accepted (EdDSA only)`);
    if (typeof kid !== 'string') throw new UnverifiedToken('UNKNOWN_KEY', 'the token names no key (kid)');
    const key = this.keys.current.get(kid);
    if (!key) throw new UnverifiedToken('UNKNOWN_KEY', `key "${kid}" is not trusted by this station`);

    let payload: Uint8Array | undefined;
    try {
      payload = verifyEd25519Jws(token, key);
    } catch {
      throw new UnverifiedToken('BAD_TOKEN', 'the token is malformed');
    }
    if (!payload) throw new UnverifiedToken('BAD_TOKEN', 'the signature does not verify');
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      throw new AccessDenied('BAD_TOKEN', 'the claims are not JSON');
    }
    const parsed = claimsSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AccessDenied('BAD_TOKEN', `claim ${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}`);
    }
    return { claims: parsed.data, kid };
  }

  /** The station's checks of signed claims: audience, lifetime, and the time window against `clock`. */
  check(signed: SignedClaims, clock: ClockReading): AccessClaims {
    const { claims: c, kid } = signed;
    const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (!audiences.includes(this.options.stationId)) throw new AccessDenied('WRONG_STATION', 'the token is for another station');
    if (c.exp <= c.iat) throw new AccessDenied('BAD_TOKEN', 'exp is not after iat');
    if (c.exp - c.iat > this.options.maxTokenSeconds) {
      throw new AccessDenied('BAD_TOKEN', `lifetime ${c.exp - c.iat} s exceeds the ${this.options.maxTokenSeconds} s this station accepts`);
    }
    const reset = this.options.issuedAfter?.();
    if (reset && c.iat * 1000 <= reset.getTime()) {
      throw new AccessDenied('EXPIRED', 'the token was issued before this station lost its records; ask for a new one');
    }
    this.checkTime(c.iat * 1000, c.exp * 1000, clock);
    return {
      iss: c.iss,
      sub: c.sub,
      res: c.res,
      act: c.act,
      iat: new Date(c.iat * 1000),
      exp: new Date(c.exp * 1000),
      jti: c.jti,
      role: c.role ?? 'worker',
      kid,
    };
  }

  private checkTime(iatMs: number, expMs: number, clock: ClockReading): void {
    const skew = this.options.skewSeconds * 1000;
    const now = clock.now.getTime();
    if (!clock.trusted) {
      if (this.options.untrustedClock === 'refuse') throw new AccessDenied('CLOCK_UNTRUSTED', 'the station clock is not synchronised');
      // No floor at all: nothing trusted was ever seen, so no expiry can be judged.
      if (!clock.floor) throw new AccessDenied('CLOCK_UNTRUSTED', 'the station clock is not synchronised and it has never seen a trusted time');
      if (iatMs < clock.floor.getTime() - skew) throw new AccessDenied('EXPIRED', 'the token was issued before the newest trusted time this station has seen');
      if (expMs < now - skew) throw new AccessDenied('EXPIRED', 'the token has expired');
      // Not-yet-valid cannot be judged by a clock that may be behind: the floor rule bounds it.
      return;
    }
    if (iatMs > now + skew) throw new AccessDenied('NOT_YET_VALID', 'the token was issued in the future (check the clocks)');
    if (expMs < now - skew) throw new AccessDenied('EXPIRED', 'the token has expired');
  }
}
