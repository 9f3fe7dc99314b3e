/*
 * What the bridge needs of the station's durable outbox, in the bridge's own terms: the station's
 * store implements it (gateway/store/event-outbox.ts), and the bridge knows nothing of SQLite.
 */

/** An event as the contract defines it (`S/events`). */
export interface StationEvent {
  id: string;
  ts: string;
  type: string;
  device?: string | undefined;
  data: Record<string, unknown>;
}

/** An event not yet delivered, with its place in the outbox. */
export interface PendingEvent extends StationEvent {
  seq: number;
}

/**
 * An undelivered event with its data still the JSON text the outbox holds: the relay puts that
 * text into the payload as it is, instead of parsing it only to serialise it again.
 */
export interface PendingEventJson {
  seq: number;
  id: string;
  ts: string;
  type: string;
  device: string | null;
  /** `data` as JSON text, written by the outbox itself from a `Record<string, unknown>`. */
  dataJson: string;
}

export interface OutboxPort {
  /** Up to `limit` undelivered events after `afterSeq`, oldest first. */
  pending(limit: number, afterSeq?: number): PendingEvent[];
  /** The same as `pending`, data as JSON text; an outbox that has it saves the relay a parse per event. */
  pendingJson?(limit: number, afterSeq?: number): PendingEventJson[];
  /** Marks events delivered; throws an error with code `STORE_FULL` when the disk takes no writes. */
  markDelivered(seqs: readonly number[]): void;
  pendingCount(): number;
  /**
   * From now on, each event transaction also writes the marks `source` holds: a mark that waits
   * for the next event shares that event's pages and sync instead of committing them again.
   */
  carryMarks?(source: MarkSource): void;
}

/**
 * Acknowledged events whose delivery marks are not yet on disk. `takeMarks` and `marksWritten`
 * are called in one synchronous turn around a committed transaction; a failed one is not reported,
 * so its marks stay with the source.
 */
export interface MarkSource {
  takeMarks(): readonly number[];
  marksWritten(seqs: readonly number[]): void;
}

/** The outbox as the bridge holds it: delivery, and word of every event written (no polling). */
export interface ObservedOutbox extends OutboxPort {
  on(event: 'appended', listener: () => void): unknown;
  off(event: 'appended', listener: () => void): unknown;
}

/** A write the store refused for want of room: marks wait in memory and are tried again. */
export function isStoreFull(err: unknown): err is Error & { code: 'STORE_FULL' } {
  return err instanceof Error && (err as { code?: unknown }).code === 'STORE_FULL';
}
