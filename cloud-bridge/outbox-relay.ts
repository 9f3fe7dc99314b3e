import type { Logger } from 'pino';
import { isStoreFull, type OutboxPort, type PendingEvent } from './outbox-port.js';
import { TokenBucket } from './limits/token-bucket.js';

/** The slice of an MQTT client the relay needs; the bridge passes its connected client. */
export interface QosPublisher {
  readonly connected: boolean;
  publish(topic: string, payload: string, options: { qos: 1; retain: false }, callback: (err?: Error) => void): void;
}

export interface RelayPacing {
  /** Events per second while a backlog drains; `Infinity` turns pacing off. */
  ratePerSecond: number;
  /** Events that may go at once after a quiet spell. */
  burst: number;
}

export interface OutboxRelayOptions {
  outbox: OutboxPort;
  topic: string;
  log: Logger;
  /** Unacknowledged events allowed in flight at once (lowered to the broker's receive maximum). */
  window?: number;
  pacing?: RelayPacing;
  /** Acknowledged events are marked in one transaction per batch: one disk sync, not one per event. */
  markBatch?: { maxEvents: number; maxDelayMs: number };
  /** After a refused publish (not a lost link), wait this long before sending again. */
  retryDelayMs?: number;
}

/** How often delivery marks are tried again while the disk is full. */
const MARK_RETRY_MS = 2000;

export const DEFAULT_RELAY = {
  window: 32,
  pacing: { ratePerSecond: 200, burst: 200 } satisfies RelayPacing,
  markBatch: { maxEvents: 256, maxDelayMs: 200 },
  retryDelayMs: 2000,
} as const;

/**
 * Moves events from the durable outbox to the broker in order, QoS 1, with a bounded window of
 * unacknowledged publishes, paced by a token bucket, and marks each delivered only after its
 * PUBACK.
 *
 * Resends and duplicates: on a dropped link MQTT.js keeps the in-flight QoS 1 packets in its
 * outgoing store and resends them itself on the next connect (same packet id, DUP set) before it
 * emits `connect`, calling our callback on their PUBACK. So a lost link is *not* a reason to send
 * again. Only a publish whose callback reports an error was never accepted (queued behind that
 * replay when the link dropped again, or refused by the broker); the relay rewinds to it, and
 * skips whatever is still in flight, so no event is published twice by this process.
 */
export class OutboxRelay {
  private client: QosPublisher | undefined;
  private cursor = 0;
  private readonly inFlight = new Set<number>();
  private acked: number[] = [];
  private idle: Array<() => void> = [];
  private limit: number;
  private readonly window: number;
  private readonly bucket: TokenBucket;
  private readonly markBatch: { maxEvents: number; maxDelayMs: number };
  private readonly retryDelayMs: number;
  private markTimer: NodeJS.Timeout | undefined;
  private paceTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private filling = false;
  private published = 0;
  private resent = 0;
  /** Seqs whose publish reported an error: sending them again is a resend, not a duplicate. */
  private readonly failed = new Set<number>();

  constructor(private readonly options: OutboxRelayOptions) {
    this.window = options.window ?? DEFAULT_RELAY.window;
    this.limit = this.window;
    const pacing = options.pacing ?? DEFAULT_RELAY.pacing;
    this.bucket = new TokenBucket(pacing.ratePerSecond, pacing.burst);
    this.markBatch = options.markBatch ?? DEFAULT_RELAY.markBatch;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RELAY.retryDelayMs;
  }

  /** Events handed to the client since start (a resend by MQTT.js itself is not counted). */
  get publishedCount(): number {
    return this.published;
  }

  /** Of those, events handed again because the client reported the earlier publish failed. */
  get resentCount(): number {
    return this.resent;
  }

  /**
   * Called on every (re)connect: drain through this client. `receiveMaximum` is the broker's
   * (MQTT 5 CONNACK); more unacknowledged publishes than that is a protocol error.
   */
  attach(client: QosPublisher, receiveMaximum?: number): void {
    this.client = client;
    this.limit = Math.max(1, Math.min(this.window, receiveMaximum ?? this.window));
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kick();
  }

  detach(): void {
    this.client = undefined;
    clearTimeout(this.paceTimer);
    clearTimeout(this.retryTimer);
    this.paceTimer = this.retryTimer = undefined;
    this.flushMarks();
  }

  /** New events were appended, acknowledgements freed the window, or the pace allows more. */
  kick(): void {
    if (this.filling) return;
    this.filling = true;
    try {
      this.fill();
    } finally {
      this.filling = false;
    }
    this.settleIdle();
  }

  /** Resolves true once nothing is in flight and nothing is pending, false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean> {
    this.flushMarks();
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = this.idle.filter((f) => f !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idle.push(done);
    });
  }

  private isIdle(): boolean {
    return this.inFlight.size === 0 && this.acked.length === 0 && this.options.outbox.pendingCount() === 0;
  }

  private settleIdle(): void {
    // Cheap test first: marking and counting on every PUBACK would cost a disk sync each.
    if (this.idle.length === 0 || this.inFlight.size > 0) return;
    this.flushMarks();
    if (!this.isIdle()) return;
    const waiting = this.idle;
    this.idle = [];
    for (const f of waiting) f();
  }

  private fill(): void {
    const client = this.client;
    if (!client?.connected || this.retryTimer || this.paceTimer) return;
    const room = this.limit - this.inFlight.size;
    // Refill in chunks (half a window) rather than one query per PUBACK, unless the pipe is empty.
    if (room <= 0 || (this.inFlight.size > 0 && room < Math.ceil(this.limit / 2))) return;
    const skip = new Set([...this.inFlight, ...this.acked]);
    const batch = this.options.outbox.pending(room + skip.size, this.cursor).filter((e) => !skip.has(e.seq));
    if (batch.length === 0) return;
    const granted = this.bucket.take(Math.min(room, batch.length));
    for (const event of batch.slice(0, granted)) {
      this.cursor = event.seq;
      this.inFlight.add(event.seq);
      this.published++;
      if (this.failed.delete(event.seq)) this.resent++;
      client.publish(this.options.topic, serialise(event), { qos: 1, retain: false }, (err) => this.settled(event.seq, err));
    }
    if (granted < Math.min(room, batch.length)) {
      this.paceTimer = setTimeout(() => {
        this.paceTimer = undefined;
        this.kick();
      }, Math.max(1, this.bucket.msUntilNext()));
    }
  }

  private settled(seq: number, err: Error | undefined): void {
    if (!this.inFlight.delete(seq)) return;
    if (err) {
      // Never accepted: go back so this event (and any after it not in flight) goes again, in order.
      this.flushMarks();
      this.failed.add(seq);
      this.cursor = Math.min(this.cursor, seq - 1);
      this.options.log.debug({ seq, err: err.message }, 'event publish failed; will resend');
      if (!this.retryTimer && this.client) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.retryDelayMs);
      }
      return;
    }
    this.acked.push(seq);
    if (this.acked.length >= this.markBatch.maxEvents) this.flushMarks();
    else this.markTimer ??= setTimeout(() => this.flushMarks(), this.markBatch.maxDelayMs);
    this.kick();
  }

  private flushMarks(): void {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    if (this.acked.length === 0) return;
    const seqs = this.acked;
    this.acked = [];
    try {
      this.options.outbox.markDelivered(seqs);
    } catch (err) {
      if (!isStoreFull(err)) throw err;
      // Disk full: they stay acknowledged in memory (this process does not send them again) and
      // are marked once the disk takes writes; a restart meanwhile resends them (at least once).
      this.acked = [...seqs, ...this.acked];
      this.options.log.warn({ code: err.code, events: this.acked.length }, 'disk full: delivery marks wait in memory');
      this.markTimer = setTimeout(() => this.flushMarks(), MARK_RETRY_MS);
      this.markTimer.unref();
    }
  }
}

function serialise(e: PendingEvent): string {
  const { seq: _seq, ...event } = e;
  return JSON.stringify(event);
}
