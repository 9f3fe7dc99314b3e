import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboxPort } from '../../cloud-bridge/outbox-port.js';
import { OutboxRelay, type QosPublisher } from '../../cloud-bridge/outbox-relay.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import type { PendingEvent } from '../../cloud-bridge/outbox-port.js';
import { StoreFullError } from '../../gateway/store/store-errors.js';

/*
 * Found by test/chaos/disk-full.test.ts: a delivery mark that could not be written (disk full)
 * threw out of the PUBACK timer and killed the gateway. The marks now wait in memory and are
 * written once the disk takes writes; nothing is published twice meanwhile.
 */

afterEach(() => vi.useRealTimers());

function fakeOutbox(events: number) {
  const rows: PendingEvent[] = Array.from({ length: events }, (_, i) => ({ seq: i + 1, id: `e${i + 1}`, ts: new Date(0).toISOString(), type: 'door.opened', data: {} }));
  const delivered = new Set<number>();
  let full = true;
  const outbox: OutboxPort = {
    pending: (limit, afterSeq = 0) => rows.filter((r) => r.seq > afterSeq && !delivered.has(r.seq)).slice(0, limit),
    pendingCount: () => rows.length - delivered.size,
    markDelivered: (seqs) => {
      if (full) throw new StoreFullError('the database could not be written: database or disk is full');
      for (const s of seqs) delivered.add(s);
    },
  };
  return { outbox, delivered, makeRoom: () => (full = false) };
}

describe('OutboxRelay with a full disk', () => {
  it('keeps delivery marks in memory, sends nothing twice, and writes them once there is room', async () => {
    vi.useFakeTimers();
    const { outbox, delivered, makeRoom } = fakeOutbox(5);
    const sent: string[] = [];
    const client: QosPublisher = {
      connected: true,
      publish: (_topic, payload, _options, callback) => {
        sent.push((JSON.parse(payload) as { id: string }).id);
        queueMicrotask(() => callback());
      },
    };
    const relay = new OutboxRelay({ outbox, topic: 't', log: silentLogger(), pacing: { ratePerSecond: Infinity, burst: 1 }, markBatch: { maxEvents: 2, maxDelayMs: 10 } });
    relay.attach(client);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(delivered.size).toBe(0);

    makeRoom();
    await vi.advanceTimersByTimeAsync(5000);
    expect([...delivered].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(sent).toHaveLength(5);
    relay.detach();
  });
});
