import { TokenBucket } from '../limits/token-bucket.js';

/**
 * Token buckets by key (a source, a worker), `perMinute` attempts a minute each with a burst of
 * as many. Keys are only ever made for verified attempts, so their number is bounded by the
 * workers the cloud signs for; past `maxKeys` the longest-refilled go first.
 */
export class AttemptBudgets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perMinute: number,
    private readonly monotonic: () => number,
    private readonly maxKeys = 4096,
  ) {}

  /** Takes one attempt from `key`'s budget; false when it is spent. */
  take(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.forgetFull();
      bucket = new TokenBucket(this.perMinute / 60, this.perMinute, this.monotonic);
      this.buckets.set(key, bucket);
    }
    return bucket.take(1) === 1;
  }

  private forgetFull(): void {
    for (const [k, b] of this.buckets) if (b.full()) this.buckets.delete(k);
    // All of them busy at once: the oldest key goes (its worker gets a fresh budget).
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}

/**
 * Counts what is refused in bulk (junk, rate-limited attempts) and says when to write it down:
 * the first of a key, then at most once a minute with the count since, so a flood is one line a
 * minute in the log and the usage log, never one per attempt.
 */
export class FloodCounter {
  private readonly floods = new Map<string, { count: number; loggedAt: number }>();

  constructor(
    private readonly monotonic: () => number,
    private readonly everyMs = 60_000,
  ) {}

  /** Counts one for `key`; returns the attempts to report now, or undefined to stay quiet. */
  note(key: string): number | undefined {
    const flood = this.floods.get(key) ?? { count: 0, loggedAt: -Infinity };
    flood.count++;
    this.floods.set(key, flood);
    if (this.monotonic() - flood.loggedAt < this.everyMs) return undefined;
    const attempts = flood.count;
    flood.loggedAt = this.monotonic();
    flood.count = 0;
    return attempts;
  }
}
