/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up. The outbox relay
 * takes one per event, so a backlog after an outage drains at a pace the uplink (often metered
 * 4G) and the broker can take, while a live event after a quiet spell goes out at once; the
 * access logic takes one per verified attempt, per source and per worker.
 *
 * It lives here, a leaf with no imports, because both the cloud bridge and the access logic use
 * it and neither should reach into the other for it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes up to `wanted` whole tokens and returns how many it took. */
  take(wanted: number): number {
    if (!Number.isFinite(this.ratePerSecond)) return wanted;
    this.refill();
    const n = Math.max(0, Math.min(wanted, Math.floor(this.tokens)));
    this.tokens -= n;
    return n;
  }

  /** Milliseconds until at least one whole token is available (0 if one is). */
  msUntilNext(): number {
    if (!Number.isFinite(this.ratePerSecond)) return 0;
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  /** Whether the bucket is back at its burst: forgetting it then loses nothing. */
  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSecond) / 1000);
    this.last = t;
  }
}
