import type { z } from 'zod';
import type { eventSchema } from '../../cloud-bridge/contract-schemas.js';

/** An event as `S/events` carries it (docs/contract/event.schema.json). */
export type StationEvent = z.output<typeof eventSchema>;

/**
 * The live event stream of one station, newest first, bounded. Delivery is at least once, so
 * events are deduplicated by their id; ids are ULIDs, so ordering by id is ordering by time.
 */
export class EventLog {
  private readonly seen = new Set<string>();
  private items: StationEvent[] = [];

  constructor(
    readonly station: string,
    private readonly limit = 200,
  ) {}

  /** Returns false for a duplicate or a payload that is not an event. */
  add(payload: unknown): boolean {
    if (!isEvent(payload) || this.seen.has(payload.id)) return false;
    this.seen.add(payload.id);
    this.items.push(payload);
    this.items.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    if (this.items.length > this.limit) for (const dropped of this.items.splice(this.limit)) this.seen.delete(dropped.id);
    return true;
  }

  list(): readonly StationEvent[] {
    return this.items;
  }
}

function isEvent(v: unknown): v is StationEvent {
  if (v === null || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e['id'] === 'string' && typeof e['ts'] === 'string' && typeof e['type'] === 'string';
}
