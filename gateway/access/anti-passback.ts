/** How many workers' holds are kept at most; past it the oldest goes (its worker may enter again). */
export const MAX_HOLDS = 10_000;

export interface AntiPassbackOptions {
  /** `access.antiPassback.seconds`. */
  seconds: number;
  /** The entry doors it applies to (resource names). */
  resources: ReadonlySet<string>;
  monotonic: () => number;
  maxHolds?: number;
}

interface Hold {
  until: number;
  /**
   * Until the door has closed again, the count may not have seen the worker walk in yet: a count
   * still at `before` then means nothing, and only the time releases the hold.
   */
  settledAt: number;
  /** People inside as read when the entry was granted, before this worker walked in; undefined when unknown. */
  before: number | undefined;
}

/**
 * One pass lets one person in (docs/access.md#anti-passback): a worker who opened an entry door is
 * not let in again for `seconds`, unless the occupancy sensor has since read as few people as
 * before that entry (someone left). Keyed by the worker's `sub`, so a short token and a pass of
 * the same worker share one hold. Operators and exits never come here. In memory only: a restart
 * forgets the holds, which only ever makes the station more permissive, never locks anyone in.
 */
export class AntiPassback {
  private readonly holds = new Map<string, Hold>();
  private readonly maxHolds: number;

  constructor(private readonly options: AntiPassbackOptions) {
    this.maxHolds = options.maxHolds ?? MAX_HOLDS;
  }

  /** Whether an attempt is an entry this rule watches: a worker unlocking one of its doors. */
  applies(attempt: { act: string; role: string; res: string }): boolean {
    return attempt.act === 'unlock' && attempt.role === 'worker' && this.options.resources.has(attempt.res);
  }

  /**
   * Why `sub` may not enter now (a sentence for the refusal), or undefined. `peopleNow` is the
   * occupancy read at this attempt. A hold that has run out or been released is forgotten here.
   */
  refusal(sub: string, peopleNow: number | undefined): string | undefined {
    const hold = this.holds.get(sub);
    if (!hold) return undefined;
    const now = this.options.monotonic();
    const left = hold.until - now;
    // A count back at (or below) what it read before this worker's entry: someone has left since,
    // most likely the worker. Counts carry no identity, so another person leaving releases it too.
    const someoneLeft = now >= hold.settledAt && hold.before !== undefined && peopleNow !== undefined && peopleNow <= hold.before;
    if (left <= 0 || someoneLeft) {
      this.holds.delete(sub);
      return undefined;
    }
    return `this worker entered ${Math.round((this.options.seconds * 1000 - left) / 1000)} s ago and nobody has left since; one pass lets one person in (${Math.ceil(left / 1000)} s more, or leave first)`;
  }

  /**
   * `sub` was granted entry with `before` people inside (read at the grant), through a door that
   * stays released for `openMs`.
   */
  entered(sub: string, before: number | undefined, openMs: number): void {
    const now = this.options.monotonic();
    this.holds.delete(sub); // re-inserted last: the map's order is the order holds end in
    this.prune(now);
    this.holds.set(sub, { until: now + this.options.seconds * 1000, settledAt: now + openMs, before });
  }

  /** The entry did not happen (the door failed): no hold for it. */
  forget(sub: string): void {
    this.holds.delete(sub);
  }

  /** Holds kept now, for tests and metrics. */
  get size(): number {
    return this.holds.size;
  }

  private prune(now: number): void {
    // Every hold lasts as long, so the first in the map end first: stop at the first still running.
    for (const [sub, hold] of this.holds) {
      if (hold.until > now && this.holds.size < this.maxHolds) break;
      this.holds.delete(sub);
    }
  }
}
