import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventOutbox } from '../../../gateway/store/event-outbox.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { tempDir } from '../../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

describe('EventOutbox', () => {
  it('keeps events in order until delivered, across a reopen', () => {
    const path = join(dir.path, 'gateway.db');
    const first = openDatabase(path);
    const outbox = new EventOutbox(first.db);
    const a = outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 1 } });
    const b = outbox.append({ type: 'door.closed', device: 'lock-1', data: { door: 1 } });
    outbox.append({ type: 'gateway.started' });
    expect(a.id < b.id).toBe(true);
    expect(a.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const pending = outbox.pending(2);
    expect(pending.map((e) => e.type)).toEqual(['door.opened', 'door.closed']);
    outbox.markDelivered([pending[0]?.seq ?? -1]);
    first.db.close();

    const second = openDatabase(path);
    const reopened = new EventOutbox(second.db);
    expect(reopened.pendingCount()).toBe(2);
    const rest = reopened.pending(10);
    expect(rest.map((e) => e.type)).toEqual(['door.closed', 'gateway.started']);
    expect(rest[0]).toEqual({ seq: rest[0]?.seq, id: b.id, ts: b.ts, type: 'door.closed', device: 'lock-1', data: { door: 1 } });
    expect(rest[1]?.device).toBeUndefined();
    expect(reopened.pending(10, rest[0]?.seq).map((e) => e.type)).toEqual(['gateway.started']);
    second.db.close();
  });

  it('orders by insertion even when the clock steps back (no RTC after a power cut)', () => {
    const { db } = openDatabase(join(dir.path, 'gateway.db'));
    const outbox = new EventOutbox(db);
    outbox.append({ type: 'a', ts: new Date('2026-06-01T00:00:00Z') });
    outbox.append({ type: 'b', ts: new Date('2025-01-01T00:00:00Z') });
    expect(outbox.pending(10).map((e) => e.type)).toEqual(['a', 'b']);
    db.close();
  });

  it('tells listeners about each appended event', () => {
    const { db } = openDatabase(join(dir.path, 'gateway.db'));
    const outbox = new EventOutbox(db);
    const seen: string[] = [];
    outbox.on('appended', (e) => seen.push(e.type));
    outbox.append({ type: 'x' });
    expect(seen).toEqual(['x']);
    db.close();
  });
});
