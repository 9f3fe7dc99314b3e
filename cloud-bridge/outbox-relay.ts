import type { Logger } from 'pino';
import { isStoreFull, type MarkSource, type OutboxPort, type PendingEvent, type PendingEventJson } from './outbox-port.js';
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
  /**
   * Acknowledged events are marked in one transaction per batch: one disk sync, not one per event.
   * Marks waiting for their batch go with the next event's transaction where the outbox carries
   * them (`OutboxPort.carryMarks`), so on a station with traffic most of them cost no commit of their own.
   */
  markBatch?: { maxEvents: number; maxDelayMs: number };
  /** After a refused publish (not a lost link), wait this long before sending again. */
  retryDelayMs?: number;
}

/** How often delivery marks are tried again while the disk is full. */
const MARK_RETRY_MS = 2000;

/**
 * Events read from the outbox in one statement, ahead of the window: the window is refilled on
 * every PUBACK from memory, and the outbox is read once per page, not once per refill. Only the
 * relay marks events delivered and housekeeping deletes only delivered ones, so a page read
 * ahead cannot go stale.
 */
const READ_AHEAD = 256;

/** An event ready to go: its place in the outbox and its payload. */
interface Outgoing {
  seq: number;
  payload: string;
}

const PUBLISH_OPTIONS = { qos: 1, retain: false } as const;

export const DEFAULT_RELAY = {
  window: 32,
  pacing: { ratePerSecond: 200, burst: 200 } satisfies RelayPacing,
  // Ten seconds: the next event of live traffic usually carries the marks, and a quiet station
  // writes one commit for a visit's marks, not one for each event (a commit costs the SD card a
  // 4 KB block or two however small it is; issue 22). A mark is bookkeeping, not the event: one
  // lost to a power cut costs a resend, which consumers dedup by id (at least once, as always).
  markBatch: { maxEvents: 256, maxDelayMs: 10_000 },
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
  /** The outbox is read after this seq: the last event read ahead, or handed to the client. */
  private cursor = 0;
  /** The last event handed to the client; a rewind goes back from here. */
  private sentTo = 0;
  /** The highest seq ever handed to the client: below it, a read after a rewind skips what is in flight. */
  private highest = 0;
  /** Read ahead and not yet handed to the client, oldest first, from `next` on. */
  private ahead: Outgoing[] = [];
  private next = 0;
  /** The last read found nothing more: read again only once told of new events (`kick`) or after a rewind. */
  private exhausted = false;
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
  /** An `appended` is due on the next turn of the loop. */
  private appendedPending = false;
  private published = 0;
  private resent = 0;
  /** Seqs whose publish reported an error: sending them again is a resend, not a duplicate. */
  private readonly failed = new Set<number>();
  /** What the outbox's event transactions carry: the acknowledged events not yet marked. */
  private readonly carried: MarkSource = {
    takeMarks: () => this.acked,
    marksWritten: (seqs) => this.markedAlong(seqs),
  };

  constructor(private readonly options: OutboxRelayOptions) {
    this.window = options.window ?? DEFAULT_RELAY.window;
    this.limit = this.window;
    const pacing = options.pacing ?? DEFAULT_RELAY.pacing;
    this.bucket = new TokenBucket(pacing.ratePerSecond, pacing.burst);
    this.markBatch = options.markBatch ?? DEFAULT_RELAY.markBatch;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RELAY.retryDelayMs;
    // Wiring, not I/O: the outbox asks for the marks only when it writes an event.
    options.outbox.carryMarks?.(this.carried);
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
    this.dropAhead();
    this.limit = Math.max(1, Math.min(this.window, receiveMaximum ?? this.window));
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kick();
  }

  detach(): void {
    this.client = undefined;
    this.dropAhead();
    clearTimeout(this.paceTimer);
    clearTimeout(this.retryTimer);
    this.paceTimer = this.retryTimer = undefined;
    this.flushMarks();
  }

  /** New events were appended (or the link is back): read the outbox again and send what fits. */
  kick(): void {
    this.exhausted = false;
    this.pump();
  }

  /**
   * The outbox appended an event: sent from the next turn of the loop, not from inside the append.
   * The append that records a grant returns to open the door, and the event's publish (about
   * 0.4 ms on the unlock path without TurboFan) then goes out while the lock answers instead of
   * before the UNLOCK is written. The appends of one turn (a batch, a restored backlog) are one
   * read of the outbox. A `flush` waiting meanwhile sees the event sent; after `detach` the turn
   * finds no client and sends nothing.
   */
  appended(): void {
    if (this.appendedPending) return;
    this.appendedPending = true;
    setImmediate(() => {
      this.appendedPending = false;
      // Out of the append's call now, a failed read of the outbox would end the gateway: the
      // events stay on disk and the next append, acknowledgement or reconnect reads them again.
      try {
        this.kick();
      } catch (err) {
        this.options.log.error({ err }, 'the outbox could not be read for sending; tried again on the next event or reconnect');
      }
    });
  }

  /** Acknowledgements freed the window, or the pace allows more. */
  private pump(): void {
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
    if (room <= 0) return;
    if (this.next >= this.ahead.length && !this.readAhead()) return;
    const available = this.ahead.length - this.next;
    const wanted = Math.min(room, available);
    const granted = this.bucket.take(wanted);
    for (let k = 0; k < granted; k++) {
      const event = this.ahead[this.next++] as Outgoing;
      this.sentTo = event.seq;
      if (event.seq > this.highest) this.highest = event.seq;
      this.inFlight.add(event.seq);
      this.published++;
      if (this.failed.delete(event.seq)) this.resent++;
      client.publish(this.options.topic, event.payload, PUBLISH_OPTIONS, (err) => this.settled(event.seq, err));
    }
    if (granted < wanted) {
      this.paceTimer = setTimeout(() => {
        this.paceTimer = undefined;
        this.pump();
      }, Math.max(1, this.bucket.msUntilNext()));
    }
  }

  /** Reads the next page after the cursor; returns whether it found anything to send. */
  private readAhead(): boolean {
    if (this.exhausted) return false;
    // Only after a rewind can events after the cursor be in flight or acknowledged already.
    let skipped = 0;
    if (this.cursor < this.highest) {
      for (const s of this.inFlight) if (s > this.cursor) skipped++;
      for (const s of this.acked) if (s > this.cursor) skipped++;
    }
    const limit = READ_AHEAD + skipped;
    const read = readPending(this.options.outbox, limit, this.cursor);
    this.exhausted = read.length < limit;
    if (read.length === 0) return false;
    this.cursor = (read.at(-1) as Outgoing).seq;
    if (skipped === 0) this.ahead = read;
    else {
      const acked = new Set(this.acked);
      this.ahead = read.filter((e) => !this.inFlight.has(e.seq) && !acked.has(e.seq));
    }
    this.next = 0;
    return this.ahead.length > 0 || this.readAhead();
  }

  /** Forgets what was read ahead: the next read starts after the last event handed to the client. */
  private dropAhead(): void {
    this.ahead = [];
    this.next = 0;
    this.cursor = this.sentTo;
    this.exhausted = false;
  }

  private settled(seq: number, err: Error | undefined): void {
    if (!this.inFlight.delete(seq)) return;
    if (err) {
      // Never accepted: go back so this event (and any after it not in flight) goes again, in order.
      this.flushMarks();
      this.failed.add(seq);
      this.sentTo = Math.min(this.sentTo, seq - 1);
      this.dropAhead();
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
    // The pipe ran empty: look once more, in case an event came without word of it.
    if (this.inFlight.size === 0) this.exhausted = false;
    this.pump();
  }

  /** An event's transaction wrote these marks: they wait no more. */
  private markedAlong(seqs: readonly number[]): void {
    const written = new Set(seqs);
    this.acked = this.acked.filter((s) => !written.has(s));
    if (this.acked.length > 0) return;
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
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

/** The outbox's next events as payloads: from its JSON text where it has it, else serialised here. */
function readPending(outbox: OutboxPort, limit: number, afterSeq: number): Outgoing[] {
  if (outbox.pendingJson) return outbox.pendingJson(limit, afterSeq).map((e) => ({ seq: e.seq, payload: payloadOf(e) }));
  return outbox.pending(limit, afterSeq).map((e) => ({ seq: e.seq, payload: serialise(e) }));
}

function serialise(e: PendingEvent): string {
  const { seq: _seq, ...event } = e;
  return JSON.stringify(event);
}

/**
 * The `S/events` payload, byte for byte what `serialise` makes of the same event parsed: the
 * same keys in the same order, no `device` when there is none, `data` as the text the outbox
 * wrote with JSON.stringify (which parsing and serialising again reproduces exactly).
 */
export function payloadOf(e: PendingEventJson): string {
  const device = e.device === null ? '' : `"device":${JSON.stringify(e.device)},`;
  return `{"id":${JSON.stringify(e.id)},"ts":${JSON.stringify(e.ts)},"type":${JSON.stringify(e.type)},${device}"data":${e.dataJson}}`;
}
