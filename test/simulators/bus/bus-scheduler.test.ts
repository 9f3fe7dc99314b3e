import { describe, expect, it } from 'vitest';
import { BusScheduler } from '../../../simulators/bus/bus-scheduler.js';

describe('BusScheduler: one half-duplex wire', () => {
  it('without timing writes at once, in order', async () => {
    const out: string[] = [];
    const bus = new BusScheduler((b) => void out.push(b.toString()));
    await bus.send(Buffer.from('a'));
    await bus.send(Buffer.from('b'));
    expect(out).toEqual(['a', 'b']);
  });

  it('delivers a frame no earlier than its transmission time at the baud rate', async () => {
    const bus = new BusScheduler(() => undefined, { baudRate: 1200, bitsPerChar: 10, responseDelayMs: 0 });
    const start = performance.now();
    // 30 bytes at 1200 baud, 10 bits each: 250 ms on the wire. A lower bound only: the machine may be slow.
    await bus.send(Buffer.alloc(30));
    expect(performance.now() - start).toBeGreaterThanOrEqual(249);
  });

  it('puts frames on the wire one after another, never overlapping', async () => {
    const out: string[] = [];
    const bus = new BusScheduler((b) => void out.push(b.toString()), { baudRate: 2400, bitsPerChar: 10, responseDelayMs: 0 });
    const start = performance.now();
    await Promise.all([bus.send(Buffer.from('x'.repeat(24))), bus.send(Buffer.from('y'.repeat(24)))]);
    // Two 100 ms frames back to back.
    expect(performance.now() - start).toBeGreaterThanOrEqual(199);
    expect(out.map((s) => s[0])).toEqual(['x', 'y']);
  });

  it('a late answer does not hold back an answer due earlier', async () => {
    const out: string[] = [];
    const bus = new BusScheduler((b) => void out.push(b.toString()));
    const late = bus.send(Buffer.from('late'), 200);
    await bus.send(Buffer.from('now'));
    await late;
    expect(out).toEqual(['now', 'late']);
  });

  it('cancel loses what is waiting', async () => {
    const out: string[] = [];
    const bus = new BusScheduler((b) => void out.push(b.toString()));
    void bus.send(Buffer.from('lost'), 50);
    bus.cancel();
    await new Promise((r) => setTimeout(r, 120));
    expect(out).toEqual([]);
  });
});
