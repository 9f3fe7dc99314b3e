/**
 * What the access decision asks of the fleet's revocation list (docs/passes.md): the seam between
 * the decision and the list, which is kept, verified and replaced elsewhere.
 */
export interface RevokedPass {
  /** The pass's cti in base64url, as a revocation names it. */
  passId: string;
  /** The worker's pseudonymous id. */
  sub: string;
  /** When the cloud issued the pass, seconds since the epoch: a worker revocation covers passes issued before it. */
  iat: number;
}

export interface RevocationCheck {
  /** Why this pass may no longer be used (a sentence for the refusal), or undefined when it may. */
  revoked(pass: RevokedPass): string | undefined;
}
