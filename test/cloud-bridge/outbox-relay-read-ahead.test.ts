import { describe, expect, it } from 'vitest';
import type { OutboxPort, PendingEvent, PendingEventJson } from '../../cloud-bridge/outbox-port.js';
import { OutboxRelay, payloadOf, type QosPublisher } from '../../cloud-bridge/outbox-relay.js';
import { silentLogger } from '../../gateway/runtime/logger.js';

/* The relay reads the outbox a page at a time and refills its window on every PUBACK. */

function memoryOutbox(events: number) {
  const rows: PendingEvent[] = Array.from({ length: events }, (_, i) => ({ seq: i + 1, id: `e${i + 1}`, ts: new Date(0).toISOString(), type: 'door.opened', device: 'lock-1', data: { n: i + 1 } }));
  const delivered = new Set<number>();
  let reads = 0;
  const outbox: OutboxPort = {
    pending: (limit, afterSeq = 0) => rows.filter((r) => r.seq > afterSeq && !delivered.has(r.seq)).slice(0, limit),
    pendingJson: (limit, afterSeq = 0): PendingEventJson[] => {
      reads++;
      return outbox.pending(limit, afterSeq).map(({ data, device, ...e }) => ({ ...e, device: device ?? null, dataJson: JSON.stringify(data) }));
    },
    pendingCount: () => rows.length - delivered.size,
    markDelivered: (seqs) => seqs.forEach((s) => delivered.add(s)),
  };
  return { outbox, delivered, reads: () => reads };
}

/** A client that holds every publish until the test acknowledges (or fails) it. */
function heldClient() {
  const held: Array<{ n: number; callback: (err?: Error) => void }> = [];
  const sent: number[] = [];
  const client: QosPublisher = {
    connected: true,
    publish: (_topic, payload, _options, callback) => {
      const n = (JSON.parse(payload) as { data: { n: number } }).data.n;
      sent.push(n);
      held.push({ n, callback });
    },
  };
  return { client, held, sent };
}

const relayOf = (outbox: OutboxPort, window: number): OutboxRelay =>
  new OutboxRelay({ outbox, topic: 't', log: silentLogger(), window, pacing: { ratePerSecond: Infinity, burst: 1 }, markBatch: { maxEvents: 1000, maxDelayMs: 60_000 }, retryDelayMs: 5 });

describe('OutboxRelay read-ahead', () => {
  it('keeps the window full: each PUBACK sends the next event at once', () => {
    const { outbox, reads } = memoryOutbox(100);
    const { client, held, sent } = heldClient();
    const relay = relayOf(outbox, 8);
    relay.attach(client);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    held.shift()?.callback();
    expect(sent).toHaveLength(9);
    for (let k = 0; k < 50; k++) held.shift()?.callback();
    expect(held).toHaveLength(8);
    expect(sent).toEqual([...Array(59).keys()].map((i) => i + 1));
    // One page so far: the outbox is not read per PUBACK.
    expect(reads()).toBe(1);
    relay.detach();
  });

  it('after a failed publish sends it again in order, and nothing that was in flight or acknowledged', async () => {
    const { outbox, delivered } = memoryOutbox(40);
    const { client, held, sent } = heldClient();
    const relay = relayOf(outbox, 4);
    relay.attach(client);
    held.shift()?.callback(); // 1 acknowledged; 5 sent
    const [two] = held.splice(0, 1);
    two?.callback(new Error('Connection closed')); // 2 failed: rewind to it
    // 3, 4, 5 were in flight and are acknowledged; nothing goes until the retry delay is over.
    held.splice(0).forEach((h) => h.callback());
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    await new Promise((r) => setTimeout(r, 30));
    // The resend goes first, then the events after 5; 3, 4 and 5 are not sent twice.
    expect(sent.slice(5, 9)).toEqual([2, 6, 7, 8]);
    while (held.length > 0) held.shift()?.callback();
    expect(new Set(sent).size).toBe(40);
    expect(sent.filter((n) => n === 2)).toHaveLength(2);
    expect(sent.length).toBe(41);
    expect(relay.resentCount).toBe(1);
    expect(await relay.flush(1000)).toBe(true);
    expect(delivered.size).toBe(40);
    relay.detach();
  });

  it('builds the payload the contract serialiser would, byte for byte', () => {
    const cases: PendingEventJson[] = [
      { seq: 1, id: '01J', ts: '2026-01-01T00:00:00.000Z', type: 'door.opened', device: 'lock-1', dataJson: JSON.stringify({ door: 1 }) },
      { seq: 2, id: '01K', ts: '2026-01-01T00:00:00.001Z', type: 'gateway.started', device: null, dataJson: '{}' },
      { seq: 3, id: '0"\\', ts: 'x\u2028', type: 'a.é', device: '\u0001', dataJson: JSON.stringify({ s: 'é\u2028"\\\ud800', n: 1e21, z: -0, a: [1, null, { b: 2 }] }) },
    ];
    for (const e of cases) {
      const { seq: _seq, dataJson, device, ...rest } = e;
      expect(payloadOf(e)).toBe(JSON.stringify({ ...rest, device: device ?? undefined, data: JSON.parse(dataJson) as unknown }));
    }
  });
});
