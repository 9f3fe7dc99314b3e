import type { Logger } from 'pino';
import type { EventOutbox, NewEvent } from '../store/event-outbox.js';
import { StoreFullError } from '../store/store-errors.js';

/** Events held in memory while the disk is full; beyond this the oldest held are counted and dropped. */
export const SPILL_LIMIT = 10_000;
const RETRY_MS = 5000;

/**
 * Where station logic hands events that report what happened (a device went offline, a door
 * closed). When the disk is full they wait in memory, in order, with their original time, and
 * are written as soon as the store takes writes again; the gateway keeps running either way.
 * Events that gate an effect (an unlock) go to the outbox directly: they must fail loudly.
 */
export class EventRecorder {
  private readonly held: NewEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;

  constructor(
    private readonly outbox: EventOutbox,
    private readonly log: Logger,
    private readonly onFull: (full: boolean) => void = () => undefined,
  ) {}

  record(event: NewEvent): void {
    const stamped = { ...event, ts: event.ts ?? new Date() };
    if (this.held.length > 0) {
      this.hold(stamped);
      return;
    }
    try {
      this.outbox.append(stamped);
    } catch (err) {
      if (!(err instanceof StoreFullError)) throw err;
      this.log.error({ code: err.code, err }, 'disk full: holding events in memory until there is room');
      this.onFull(true);
      this.hold(stamped);
    }
  }

  /** Events waiting for disk space, and how many were dropped because memory filled too. */
  get backlog(): { held: number; dropped: number } {
    return { held: this.held.length, dropped: this.dropped };
  }

  /** A last try for what is held; what a still-full disk cannot take is lost with the process, and said so. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.held.length === 0) return;
    try {
      this.outbox.appendMany(this.held);
      this.held.length = 0;
    } catch (err) {
      this.log.error({ code: (err as { code?: unknown }).code, lost: this.held.length, dropped: this.dropped }, 'stopping with events the disk could not take: they are lost');
    }
  }

  private hold(event: NewEvent): void {
    if (this.held.length >= SPILL_LIMIT) {
      this.held.shift();
      this.dropped++;
    }
    this.held.push(event);
    this.timer ??= setTimeout(() => this.retry(), RETRY_MS);
    this.timer.unref();
  }

  private retry(): void {
    this.timer = undefined;
    try {
      this.outbox.appendMany(this.held);
    } catch (err) {
      // From a timer nothing may escape, and the held events must not be lost to an error other
      // than a full disk either (a failing card): logged, and tried again.
      if (!(err instanceof StoreFullError)) this.log.error({ err, code: (err as { code?: unknown }).code, held: this.held.length }, 'held events could not be written; trying again');
      this.timer = setTimeout(() => this.retry(), RETRY_MS);
      this.timer.unref();
      return;
    }
    this.log.info({ written: this.held.length, dropped: this.dropped }, 'disk has room again; held events written');
    this.held.length = 0;
    this.onFull(false);
  }
}
