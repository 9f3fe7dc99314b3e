import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import type { StationEvent } from '../../cloud-bridge/outbox-port.js';
import { OutboxRelay, type QosPublisher } from '../../cloud-bridge/outbox-relay.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { EventOutbox } from '../../gateway/store/event-outbox.js';
import { openDatabase } from '../../gateway/store/open-database.js';
import { tempDir } from '../helpers/temp-dir.js';

/* A delivery mark that waits for its batch goes with the next event's transaction: on a station
 * with traffic it shares that event's commit instead of costing one of its own (issue 22's flash
 * wear), and it is on disk exactly when that event is. */

let dir: ReturnType<typeof tempDir>;
let db: Database;
beforeEach(() => {
  dir = tempDir('marks-carried-');
  db = openDatabase(`${dir.path}/gateway.db`).db;
});
afterEach(() => {
  db.close();
  dir.remove();
});

const deliveredOnDisk = (): number[] =>
  (db.prepare('SELECT seq FROM events WHERE delivered_at IS NOT NULL ORDER BY seq').all() as Array<{ seq: number }>).map((r) => r.seq);

/** Acknowledges every publish at once; the relay's own batch timer is a minute, so it never fires here. */
const ackingClient: QosPublisher = { connected: true, publish: (_t, _p, _o, callback) => callback() };

function relayOver(outbox: EventOutbox): { relay: OutboxRelay; markCalls: () => number } {
  let calls = 0;
  const markDelivered = outbox.markDelivered.bind(outbox);
  outbox.markDelivered = (seqs, at) => {
    calls++;
    markDelivered(seqs, at);
  };
  const relay = new OutboxRelay({ outbox, topic: 't', log: silentLogger(), pacing: { ratePerSecond: Infinity, burst: 1 }, markBatch: { maxEvents: 256, maxDelayMs: 60_000 } });
  outbox.on('appended', () => relay.kick());
  return { relay, markCalls: () => calls };
}

describe('delivery marks carried by the next event', () => {
  it('marks the acknowledged events in the next event transaction, with no commit of their own', async () => {
    const outbox = new EventOutbox(db);
    const { relay, markCalls } = relayOver(outbox);
    relay.attach(ackingClient);
    outbox.append({ type: 'door.opened', device: 'lock-1' });
    // Acknowledged, not yet marked: the batch waits.
    expect(deliveredOnDisk()).toEqual([]);
    outbox.append({ type: 'door.closed', device: 'lock-1' });
    expect(deliveredOnDisk()).toEqual([1]);
    outbox.append({ type: 'door.opened', device: 'lock-1' });
    expect(deliveredOnDisk()).toEqual([1, 2]);
    expect(markCalls()).toBe(0);
    // The last one still waits, and goes when the relay stops.
    relay.detach();
    expect(deliveredOnDisk()).toEqual([1, 2, 3]);
    expect(markCalls()).toBe(1);
    expect(await relay.flush(100)).toBe(true);
  });

  it('does not count an acknowledged event whose mark waits as pending', () => {
    const outbox = new EventOutbox(db);
    const { relay } = relayOver(outbox);
    outbox.append({ type: 'door.opened', device: 'lock-1' });
    expect(outbox.pendingCount()).toBe(1);
    relay.attach(ackingClient);
    outbox.append({ type: 'door.closed', device: 'lock-1' });
    // The second is acknowledged too, its mark waiting; the first's rode in its transaction.
    expect(deliveredOnDisk()).toEqual([1]);
    expect(outbox.pendingCount()).toBe(0);
    relay.detach();
    expect(deliveredOnDisk()).toEqual([1, 2]);
    expect(outbox.pendingCount()).toBe(0);
  });

  it('carries marks in a batch of events too', () => {
    const outbox = new EventOutbox(db);
    const { relay, markCalls } = relayOver(outbox);
    relay.attach(ackingClient);
    outbox.appendMany([{ type: 'a' }, { type: 'b' }]);
    outbox.appendMany([{ type: 'c' }, { type: 'd' }, { type: 'e' }]);
    expect(deliveredOnDisk()).toEqual([1, 2]);
    expect(markCalls()).toBe(0);
    relay.detach();
  });

  it('keeps the marks when the event transaction fails: neither the event nor its marks are on disk, and the next one writes them', () => {
    // A fault inside the event's transaction, after nothing of it can be kept.
    db.exec(`CREATE TABLE fail_next (x); CREATE TRIGGER fail_insert BEFORE INSERT ON events WHEN EXISTS (SELECT 1 FROM fail_next) BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    const fail = (on: boolean): void => void db.exec(on ? 'INSERT INTO fail_next VALUES (1)' : 'DELETE FROM fail_next');
    const outbox = new EventOutbox(db);
    const { relay, markCalls } = relayOver(outbox);
    relay.attach(ackingClient);
    outbox.append({ type: 'one' });
    outbox.append({ type: 'two' });
    expect(deliveredOnDisk()).toEqual([1]);
    fail(true);
    expect(() => outbox.append({ type: 'lost' })).toThrow('disk I/O error');
    fail(false);
    expect((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(2);
    expect(deliveredOnDisk()).toEqual([1]);
    const last: StationEvent = outbox.append({ type: 'three' });
    expect(last.type).toBe('three');
    expect(deliveredOnDisk()).toEqual([1, 2]);
    expect(markCalls()).toBe(0);
    relay.detach();
    // The failed event's seq went back with its transaction: `three` has it.
    expect(deliveredOnDisk()).toEqual([1, 2, 3]);
  });
});
