import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { EventOutbox, runsOf } from '../../../gateway/store/event-outbox.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { UsageSessions } from '../../../gateway/store/usage-sessions.js';

/* The batched paths of the outbox (multi-row inserts, marks by runs, reads as JSON text) must
 * store, mark and read exactly what the one-at-a-time paths do. */

let db: Database;
beforeEach(() => {
  db = openDatabase(':memory:').db;
});
afterEach(() => db.close());

const rows = (): Array<{ seq: number; id: string; type: string; data: string; delivered: boolean }> =>
  (db.prepare('SELECT seq, id, type, data, delivered_at FROM events ORDER BY seq').all() as Array<{ seq: number; id: string; type: string; data: string; delivered_at: string | null }>).map(
    (r) => ({ seq: r.seq, id: r.id, type: r.type, data: r.data, delivered: r.delivered_at !== null }),
  );

describe('EventOutbox batches', () => {
  it.each([1, 24, 25, 26, 50, 61, 100])('stores a batch of %i in order, each event once, under the ids it returned', (n) => {
    const outbox = new EventOutbox(db);
    const stored = outbox.appendMany(Array.from({ length: n }, (_, i) => ({ type: `t.${i}`, device: i % 2 ? 'lock-1' : undefined, data: { i } })));
    const onDisk = rows();
    expect(onDisk.map((r) => r.id)).toEqual(stored.map((e) => e.id));
    expect(onDisk.map((r) => r.type)).toEqual(stored.map((_, i) => `t.${i}`));
    expect(onDisk.map((r) => JSON.parse(r.data) as unknown)).toEqual(stored.map((_, i) => ({ i })));
    expect(outbox.pending(n + 1).map((e) => e.device)).toEqual(stored.map((_, i) => (i % 2 ? 'lock-1' : undefined)));
  });

  it('derives the same sessions from a batch as from one event at a time, caught up at once or after each event', () => {
    const events = [
      { type: 'door.opened', device: 'lock-1', data: { door: 1, sub: 'w-1' } },
      { type: 'door.opened', device: 'lock-1', data: { door: 1 } },
      { type: 'door.closed', device: 'lock-1', data: { door: 1, by: 'hand' } },
      { type: 'swap.started', device: 'cabinet-1', data: { swapId: 's1', slot: 3 } },
      { type: 'swap.completed', device: 'cabinet-1', data: { swapId: 's1', takenSlot: 6, sub: 'w-2' } },
      { type: 'swap.completed', device: 'cabinet-1', data: { swapId: 's2' } },
      { type: 'access.denied', device: 'lock-1', data: { res: 'main-door', code: 'EXPIRED' } },
    ];
    const derived = (write: (o: EventOutbox, sessions: UsageSessions) => void): unknown[] => {
      const own = openDatabase(':memory:').db;
      const sessions = new UsageSessions(own);
      write(new EventOutbox(own), sessions);
      const list = sessions.list().map(({ id: _id, startEvent: _s, endEvent: _e, startedAt: _a, endedAt: _b, ...rest }) => rest);
      own.close();
      return list;
    };
    const batched = derived((o) => o.appendMany(events));
    const single = derived((o, sessions) =>
      events.forEach((e) => {
        o.append(e);
        expect(sessions.catchUp()).toBe(1);
      }),
    );
    const paged = derived((o, sessions) => {
      events.forEach((e) => o.append(e));
      let pages = 0;
      while (sessions.catchUp(2) > 0) pages++;
      expect(pages).toBe(4);
    });
    expect(batched).toEqual(single);
    expect(paged).toEqual(single);
    expect(batched.map((s) => (s as { outcome?: string }).outcome ?? 'open')).toEqual(['unknown', 'closed', 'completed', 'completed', 'EXPIRED']);
    expect((batched[1] as { data: unknown }).data).toEqual({ door: 1, by: 'hand' });
    expect((batched[2] as { data: unknown; subject?: string }).subject).toBe('w-2');
  });

  it('marks exactly the seqs given, in runs, gaps and repeats included', () => {
    const outbox = new EventOutbox(db);
    outbox.appendMany(Array.from({ length: 12 }, (_, i) => ({ type: 'x', data: { i } })));
    outbox.markDelivered([9, 2, 3, 4, 7, 3, 12]);
    expect(rows().filter((r) => r.delivered).map((r) => r.seq)).toEqual([2, 3, 4, 7, 9, 12]);
    expect(outbox.pendingCount()).toBe(6);
    expect(outbox.pending(10).map((e) => e.seq)).toEqual([1, 5, 6, 8, 10, 11]);
  });

  it('splits seqs into runs of consecutive integers', () => {
    expect(runsOf([])).toEqual([]);
    expect(runsOf([5])).toEqual([5, 5]);
    expect(runsOf([3, 1, 2, 2, 7, 8, 10])).toEqual([1, 3, 7, 8, 10, 10]);
  });

  it('reads pending events with their data as the JSON text it stored', () => {
    const outbox = new EventOutbox(db);
    outbox.appendMany([{ type: 'a', data: { s: 'é\u2028"\\', n: 1e21, z: -0, nested: { k: [1, null] } } }, { type: 'b', device: 'lock-1' }]);
    outbox.markDelivered([1]);
    outbox.append({ type: 'c', data: { n: 3 } });
    const json = outbox.pendingJson(10);
    const parsed = outbox.pending(10);
    expect(json.map((e) => e.seq)).toEqual(parsed.map((e) => e.seq));
    expect(json.map(({ dataJson, device, ...rest }) => ({ ...rest, device: device ?? undefined, data: JSON.parse(dataJson) as unknown }))).toEqual(parsed);
    expect(outbox.pendingJson(10, json[0]?.seq).map((e) => e.type)).toEqual(['c']);
  });

  it.each([
    ['flat values, a key replaced and keys added', { door: 1, sub: 'w-1', n: 2 }, { n: 3, by: 'hand', ok: true }],
    ['arrays replace', { list: [1, 2, 3], door: 1 }, { list: [{ a: 1 }, null] }],
    ['escapes and big numbers', { s: 'a"b\\c', door: 1 }, { s: 'é\u2028\u0001', big: 1e21, small: 5e-324, neg: -0 }],
    ['a nested object replaces (not merged)', { door: 1, at: { x: 1, y: 2 } }, { at: { x: 3 } }],
    ['a null is kept as a value', { door: 1, reason: 'x' }, { reason: null }],
    ['undefined and NaN as the log stored them (dropped, null)', { door: 1, a: 1, b: 2 }, { a: undefined, b: Number.NaN }],
  ])('merges an end into its open session as the object spread of the stored data does: %s', (_name, start, end) => {
    const sessions = new UsageSessions(db);
    const outbox = new EventOutbox(db);
    outbox.append({ type: 'door.opened', device: 'lock-1', data: { ...start, door: 1 } });
    outbox.append({ type: 'door.closed', device: 'lock-1', data: { ...end, door: 1 } as Record<string, unknown> });
    expect(sessions.catchUpAll()).toBe(2);
    const row = db.prepare('SELECT data, outcome FROM sessions').all() as Array<{ data: string; outcome: string }>;
    // Derived from the log: the end's data as it was stored.
    const stored = JSON.parse(JSON.stringify(end)) as Record<string, unknown>;
    expect(row).toEqual([{ data: JSON.stringify({ ...start, door: 1, ...stored }), outcome: 'closed' }]);
  });
});
