import type { Database, Statement } from 'better-sqlite3';
import { translateWriteError } from './store-errors.js';

export type ClaimOutcome =
  /** First time this jti is seen: it is now claimed on disk; carry the request out. */
  | { first: true }
  /** Seen before; `result` is the first outcome if it was recorded (absent if it was cut short). */
  | { first: false; seenAt: string; result?: Record<string, unknown> };

/**
 * The token replay cache of the contract: a `jti` is accepted once. The claim is committed
 * before the request is carried out, so a crash between the two can never let a token open a
 * door twice; the price is that a request cut short by a crash is refused when repeated (its
 * token is spent), which is the safe side. Entries are forgotten after `exp` plus the skew, when
 * the token could no longer verify anyway.
 *
 * A grant pays for one fsync, not three: `claimBefore` commits the claim without a sync of its
 * own and the grant's record, committed next with `synchronous=FULL`, syncs the WAL with the claim
 * in it; `settle` leaves the first outcome to the next synchronous commit.
 */
export class ReplayCache {
  private db!: Database;
  private insert!: Statement;
  private select!: Statement;
  private update!: Statement;
  private purge!: Statement;

  constructor(db: Database) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.db = db;
    this.insert = db.prepare('INSERT INTO replay_cache (jti, forget_after, seen_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING');
    this.select = db.prepare('SELECT seen_at, result FROM replay_cache WHERE jti = ?');
    this.update = db.prepare('UPDATE replay_cache SET result = ? WHERE jti = ? AND result IS NULL');
    this.purge = db.prepare('DELETE FROM replay_cache WHERE forget_after < ?');
  }

  /** Claims `jti` until `forgetAfter`, durably; tells whether it was the first claim. */
  claim(jti: string, forgetAfter: Date, now: Date = new Date()): ClaimOutcome {
    return this.outcomeOf(jti, this.run(() => this.insert.run(jti, forgetAfter.getTime(), now.toISOString()).changes));
  }

  /**
   * Claims `jti` as `claim` does and, on a first claim, runs `alongside` (writes that must be on
   * disk before the grant takes effect: the time floor its token raised) and then `record`, which
   * must commit a write of its own with `synchronous=FULL` (the grant's event). The claim and
   * `alongside` are committed without waiting for a sync, and the sync of `record`'s commit takes
   * them to disk with it (one WAL, synced as a whole): when this returns, all three are on disk,
   * for one fsync instead of three. On a repeat, `alongside` runs with its own sync and `record`
   * not at all. If `record` throws, the claim stands (the token is spent, nothing opened) but may
   * not survive a power cut, which leaves the token as unused as the door: the safe side either way.
   */
  claimBefore(jti: string, forgetAfter: Date, writes: { record: () => void; alongside?: () => void }, now: Date = new Date()): ClaimOutcome {
    const outcome = this.unsynced(() => {
      const claimed = this.outcomeOf(jti, this.insert.run(jti, forgetAfter.getTime(), now.toISOString()).changes);
      if (claimed.first) writes.alongside?.();
      return claimed;
    });
    if (!outcome.first) {
      writes.alongside?.();
      return outcome;
    }
    writes.record();
    return outcome;
  }

  /**
   * Records the first outcome of a claimed jti; later calls do not overwrite it. Not synced on its
   * own: the next synchronous commit (the grant's delivery mark, the next event) or checkpoint
   * takes it to disk, so the reply does not wait for a sync. It survives a crash of the process; a
   * power cut before that commit loses only the first result, and a repeat of the token then
   * answers REPLAYED, as one cut short by a crash does: the claim itself was synced before the grant.
   */
  settle(jti: string, result: Record<string, unknown>): void {
    this.unsynced(() => this.update.run(JSON.stringify(result), jti));
  }

  private outcomeOf(jti: string, changes: number): ClaimOutcome {
    if (changes === 1) return { first: true };
    const seen = this.lookup(jti);
    if (!seen) throw new Error(`replay cache: ${jti} neither inserted nor found`);
    return { first: false, ...seen };
  }

  private run<T>(write: () => T): T {
    try {
      return write();
    } catch (err) {
      translateWriteError(err);
    }
  }

  /**
   * One write committed with `synchronous=NORMAL`: SQLite writes its WAL frames but does not sync
   * them, and the next commit with FULL (or a checkpoint) syncs the WAL with them in it. Nothing
   * else can commit in between (one connection, synchronous calls), and the level is put back even
   * when the write throws.
   */
  private unsynced<T>(write: () => T): T {
    const level = this.db.pragma('synchronous', { simple: true }) as number;
    if (level <= 1) return this.run(write);
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.run(write);
    } finally {
      this.db.pragma(`synchronous = ${level}`);
    }
  }

  has(jti: string): boolean {
    return this.select.get(jti) !== undefined;
  }

  /** What is known of a jti already seen: when, and its first outcome if it was recorded. */
  lookup(jti: string): { seenAt: string; result?: Record<string, unknown> } | undefined {
    const row = this.select.get(jti) as { seen_at: string; result: string | null } | undefined;
    if (!row) return undefined;
    return { seenAt: row.seen_at, ...(row.result !== null ? { result: JSON.parse(row.result) as Record<string, unknown> } : {}) };
  }

  /** Forgets entries whose tokens have expired beyond the skew; returns how many. */
  purgeExpired(now: Date = new Date()): number {
    return this.purge.run(now.getTime()).changes;
  }
}
