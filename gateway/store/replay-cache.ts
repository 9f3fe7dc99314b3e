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
 */
export class ReplayCache {
  private insert!: Statement;
  private select!: Statement;
  private update!: Statement;
  private purge!: Statement;

  constructor(db: Database) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.insert = db.prepare('INSERT INTO replay_cache (jti, forget_after, seen_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING');
    this.select = db.prepare('SELECT seen_at, result FROM replay_cache WHERE jti = ?');
    this.update = db.prepare('UPDATE replay_cache SET result = ? WHERE jti = ? AND result IS NULL');
    this.purge = db.prepare('DELETE FROM replay_cache WHERE forget_after < ?');
  }

  /** Claims `jti` until `forgetAfter`, durably; tells whether it was the first claim. */
  claim(jti: string, forgetAfter: Date, now: Date = new Date()): ClaimOutcome {
    let changes: number;
    try {
      changes = this.insert.run(jti, forgetAfter.getTime(), now.toISOString()).changes;
    } catch (err) {
      translateWriteError(err);
    }
    if (changes === 1) return { first: true };
    const seen = this.lookup(jti);
    if (!seen) throw new Error(`replay cache: ${jti} neither inserted nor found`);
    return { first: false, ...seen };
  }

  /** Records the first outcome of a claimed jti; later calls do not overwrite it. */
  settle(jti: string, result: Record<string, unknown>): void {
    try {
      this.update.run(JSON.stringify(result), jti);
    } catch (err) {
      translateWriteError(err);
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
