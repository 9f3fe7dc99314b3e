import type { Clock } from '../../config/clock.js';

/**
 * A token bucket for a byte stream: a metered 4G uplink is shared with the doors' cloud path, so a
 * bundle download may use only so many bytes a second on average. Bytes are taken as they arrive
 * (a chunk is never split); the bucket goes into debt and the caller holds the stream for as long
 * as paying the debt back takes. Over any span the bytes passed are at most
 * `burstBytes + bytesPerSecond * seconds + one chunk`.
 */
export class TokenBucket {
  readonly burstBytes: number;
  private tokens: number;
  private at: number;

  constructor(
    readonly bytesPerSecond: number,
    private readonly clock: Clock,
    burstBytes?: number,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be above 0, not ${bytesPerSecond}`);
    // A quarter second's worth: enough that the stream is not held after every TLS record, small
    // enough that a cap is a cap from the first second.
    this.burstBytes = burstBytes ?? Math.max(16 * 1024, Math.ceil(bytesPerSecond / 4));
    this.tokens = this.burstBytes;
    this.at = clock.now();
  }

  /** Takes `bytes` that just passed; returns how long (ms) to hold the stream before more may. */
  take(bytes: number): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.at) * this.bytesPerSecond) / 1000);
    this.at = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSecond);
  }
}
