import { toBase64url } from '../phone/base64url.js';
import { loadOrCreateKey, signerFor, type PhoneKey } from '../phone/key-store.js';
import { checkPassForPhone, PassRefused, type PassProblem, type PassSummary } from '../phone/pass-reader.js';
import type { PhoneSigner } from '../phone/rolling-code.js';
import { acceptPass, loadPass, type CurrentPass } from '../phone/pass-store.js';
import { ACT_NUMBER, type OperatorAct } from './acts.js';
import { openOperatorDb } from './operator-db.js';

/*
 * Who the operator at this browser is, to a station: an Ed25519 key made here on first use
 * (non-extractable, in the console's own IndexedDB) and an operator pass the fleet issued for its
 * public half (docs/passes.md, role 1). The console signs every action with the key over the pass
 * (code-signer.ts); the station checks both. The console reads the pass only to say what it
 * allows and to refuse one that cannot work here (another key's, a worker's, one run out).
 */

/** Why a pass was not taken: the phone page's reasons, and a worker's pass offered to the console. */
export type OperatorPassProblem = PassProblem | 'worker';

export class OperatorPassRefused extends Error {
  constructor(
    readonly problem: OperatorPassProblem,
    detail: string,
  ) {
    super(detail);
    this.name = 'OperatorPassRefused';
  }
}

export { ACT_NUMBER, type OperatorAct } from './acts.js';

/**
 * Whether the pass lets this operator do `act` on `res` at `stationId` now, as far as the console
 * can tell (the station decides; groups cannot be checked here, the console does not know them).
 */
export type Permission =
  | { ok: true; pass: PassSummary }
  | { ok: false; reason: 'no-pass' | 'expired' | 'not-yet-valid' | 'other-station' | 'no-grant'; pass?: PassSummary };

export class OperatorIdentity {
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly db: IDBDatabase,
    readonly key: PhoneKey,
    /** Whether the key was made on this visit (the panel says so: a pass must be issued for it). */
    readonly keyCreated: boolean,
    private current: CurrentPass | undefined,
  ) {}

  /** Opens the operator's database, makes the key on first use, reads the stored pass. */
  static async open(dbName?: string): Promise<OperatorIdentity> {
    const db = await openOperatorDb(dbName);
    const { key, created } = await loadOrCreateKey(db);
    const stored = await loadPass(db, key.publicRaw);
    return new OperatorIdentity(db, key, created, stored?.summary.role === 'operator' ? stored : undefined);
  }

  /** The public key, base64url: what `station-token pass --phone-key` takes. */
  publicKey(): string {
    return toBase64url(this.key.publicRaw);
  }

  pass(): CurrentPass | undefined {
    return this.current;
  }

  signer(): PhoneSigner {
    return signerFor(this.key);
  }

  /** Checks and stores a pass; throws OperatorPassRefused and keeps the one held before. */
  async takePass(bytes: Uint8Array, now = Date.now()): Promise<CurrentPass> {
    try {
      const summary = checkPassForPhone(bytes, this.key.publicRaw, Math.floor(now / 1000));
      // A worker's pass would sign codes the station refuses for every operator action: say so now.
      if (summary.role !== 'operator') throw new OperatorPassRefused('worker', `the pass of ${summary.sub} is a worker's pass`);
      this.current = await acceptPass(this.db, bytes, this.key.publicRaw, now);
    } catch (err) {
      if (err instanceof PassRefused) throw new OperatorPassRefused(err.problem, err.message);
      throw err;
    }
    for (const l of this.listeners) l();
    return this.current;
  }

  /**
   * What the pass allows; `res` undefined: any grant of the act will do (the station checks the
   * resource); `act` undefined: a valid operator pass for the station is enough (a snapshot).
   */
  permits(act: OperatorAct | undefined, stationId: string, res: string | undefined, now = Date.now()): Permission {
    const pass = this.current?.summary;
    if (!pass) return { ok: false, reason: 'no-pass' };
    const s = Math.floor(now / 1000);
    if (pass.exp <= s) return { ok: false, reason: 'expired', pass };
    if (pass.nbf > s) return { ok: false, reason: 'not-yet-valid', pass };
    if (pass.groups.length === 0 && !pass.stations.includes(stationId)) return { ok: false, reason: 'other-station', pass };
    if (act === undefined) return { ok: true, pass };
    const n = ACT_NUMBER[act];
    if (!pass.grants.some((g) => g.act === n && (g.res === null || res === undefined || g.res === res))) return { ok: false, reason: 'no-grant', pass };
    return { ok: true, pass };
  }

  /** Called after a new pass was taken. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
