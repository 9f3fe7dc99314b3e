import type { Logger } from 'pino';
import type { EventOutbox, PendingEvent } from '../gateway/store/event-outbox.js';

/** The slice of an MQTT client the relay needs; the bridge passes its connected client. */
export interface QosPublisher {
  readonly connected: boolean;
  publish(topic: string, payload: string, options: { qos: 1; retain: false }, callback: (err?: Error) => void): void;
}

export interface OutboxRelayOptions {
  outbox: EventOutbox;
  topic: string;
  log: Logger;
  /** Unacknowledged events allowed in flight at once. */
  window?: number;
}

/**
 * Moves events from the durable outbox to the broker in order, marking each delivered only
 * after its PUBACK. A publish that fails (the link dropped) rewinds the cursor, so the event
 * goes again after the reconnect: at least once, never lost.
 */
export class OutboxRelay {
  private client: QosPublisher | undefined;
  private cursor = 0;
  private readonly inFlight = new Set<number>();
  private draining = false;
  private idle: Array<() => void> = [];
  private readonly window: number;

  constructor(private readonly options: OutboxRelayOptions) {
    this.window = options.window ?? 32;
  }

  /** Called on every (re)connect: start draining through this client. */
  attach(client: QosPublisher): void {
    this.client = client;
    this.kick();
  }

  detach(): void {
    this.client = undefined;
  }

  /** New events were appended or acknowledgements freed the window. */
  kick(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      this.fill();
    } finally {
      this.draining = false;
    }
    this.settleIdle();
  }

  /** Resolves once nothing is in flight and nothing is pending, or after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean> {
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
    return this.inFlight.size === 0 && this.options.outbox.pendingCount() === 0;
  }

  private settleIdle(): void {
    if (this.idle.length === 0 || !this.isIdle()) return;
    const waiting = this.idle;
    this.idle = [];
    for (const f of waiting) f();
  }

  private fill(): void {
    const client = this.client;
    if (!client?.connected) return;
    const room = this.window - this.inFlight.size;
    if (room <= 0) return;
    const batch = this.options.outbox.pending(room, this.cursor);
    for (const event of batch) {
      this.cursor = event.seq;
      this.inFlight.add(event.seq);
      client.publish(this.options.topic, serialise(event), { qos: 1, retain: false }, (err) => this.settled(event.seq, err));
    }
  }

  private settled(seq: number, err: Error | undefined): void {
    this.inFlight.delete(seq);
    if (err) {
      // Not delivered: go back so this event (and any after it) is sent again, in order.
      this.cursor = Math.min(this.cursor, seq - 1);
      this.options.log.debug({ seq, err: err.message }, 'event publish failed; will resend');
      return;
    }
    this.options.outbox.markDelivered([seq]);
    this.kick();
  }
}

function serialise(e: PendingEvent): string {
  const { seq: _seq, ...event } = e;
  return JSON.stringify(event);
}
