import type { RevocationPayload } from '../../../cloud-bridge/revocation-contract.js';
import type { RevokedPass } from '../revocation-check.js';

/**
 * One accepted revocation list, indexed for the door: a pass id and a worker are each one lookup,
 * whatever the list's length. Entries past their `until` are ignored: what they revoke has
 * expired anyway, and a list the fleet forgot to prune must not refuse a pass issued since.
 */
export class RevocationList {
  /** Pass id → until (ms). */
  private readonly passes = new Map<string, number>();
  /** Worker → { before, until } (ms); of two entries for one worker the later `before` counts. */
  private readonly workers = new Map<string, { before: number; until: number }>();

  constructor(readonly payload: RevocationPayload) {
    for (const p of payload.passes) this.passes.set(p.id, Math.max(Date.parse(p.until), this.passes.get(p.id) ?? 0));
    for (const w of payload.workers) {
      const before = Date.parse(w.before);
      const until = Date.parse(w.until);
      const had = this.workers.get(w.sub);
      if (!had || before > had.before) this.workers.set(w.sub, { before, until });
    }
  }

  get seq(): number {
    return this.payload.seq;
  }

  get issuedAt(): string {
    return this.payload.issuedAt;
  }

  /** Why the pass is revoked at `nowMs`, or undefined. `iat` in seconds, as in the pass. */
  revoked(pass: RevokedPass, nowMs: number): string | undefined {
    const until = this.passes.get(pass.passId);
    if (until !== undefined && nowMs <= until) return `pass ${pass.passId} was revoked (list ${this.seq} of ${this.issuedAt})`;
    const worker = this.workers.get(pass.sub);
    if (worker && nowMs <= worker.until && pass.iat * 1000 < worker.before) {
      return `worker ${pass.sub} was revoked at ${new Date(worker.before).toISOString()}; this pass was issued before (list ${this.seq})`;
    }
    return undefined;
  }
}
