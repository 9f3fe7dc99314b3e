import { TokenBucket } from '../../cloud-bridge/limits/token-bucket.js';

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
