import { describe, expect, it } from 'vitest';
import { BatchBuilder, forEachMessage, type MessageBatch } from '../../console/src/link-worker/link-protocol.js';

const text = new TextEncoder();
const read = (batch: MessageBatch): Array<[string, string]> => {
  const out: Array<[string, string]> = [];
  forEachMessage(batch, (topic, payload) => out.push([topic, new TextDecoder().decode(payload)]));
  return out;
};

describe("the link worker's message batches", () => {
  it('hands over every message in order, an empty payload (a cleared retained topic) as empty', () => {
    const b = new BatchBuilder();
    expect(b.take()).toBeUndefined();
    b.add('stations/a/status', text.encode('{"online":true}'));
    b.add('stations/a/alarms', new Uint8Array(0));
    b.add('stations/b/devices/lock-1', text.encode('{"ts":"x"}'));
    expect(b.size).toBe(3);
    const batch = b.take();
    if (!batch) throw new Error('no batch');
    expect(read(batch)).toEqual([
      ['stations/a/status', '{"online":true}'],
      ['stations/a/alarms', ''],
      ['stations/b/devices/lock-1', '{"ts":"x"}'],
    ]);
    expect(batch.bytes.byteLength).toBe(25);
    expect(b.size).toBe(0);
    expect(b.take()).toBeUndefined();
  });

  it('grows past its first buffer, and a taken batch is not overwritten by the next', () => {
    const b = new BatchBuilder();
    const big = 'x'.repeat(50_000);
    for (let i = 0; i < 5; i++) b.add(`t/${i}`, text.encode(`${i}${big}`));
    const first = b.take();
    b.add('t/next', text.encode('overwrites nothing'));
    const second = b.take();
    if (!first || !second) throw new Error('no batch');
    expect(read(first).map(([t, p]) => [t, p.length, p[0]])).toEqual([0, 1, 2, 3, 4].map((i) => [`t/${i}`, 50_001, String(i)]));
    expect(read(second)).toEqual([['t/next', 'overwrites nothing']]);
  });

  it('survives the structured clone a postMessage makes, its buffer transferred', () => {
    const b = new BatchBuilder();
    b.add('stations/a/status', text.encode('{"online":false}'));
    const batch = b.take();
    if (!batch) throw new Error('no batch');
    const cloned = structuredClone(batch, { transfer: [batch.bytes] });
    expect(batch.bytes.byteLength).toBe(0);
    expect(read(cloned)).toEqual([['stations/a/status', '{"online":false}']]);
  });
});
