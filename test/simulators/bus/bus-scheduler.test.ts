import { afterEach, describe, expect, it, vi } from 'vitest';
import { BusScheduler } from '../../../simulators/bus/bus-scheduler.js';
import { frameSilenceMs, rtuWire, transmissionMs } from '../../../simulators/bus/line-timing.js';

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

  describe('an RTU line charges requests and the silence after every frame', () => {
    // Fake clock: these check the arithmetic of the wire, not how punctual this machine is.
    afterEach(() => {
      vi.useRealTimers();
    });
    const timing = { baudRate: 9600, bitsPerChar: 11, responseDelayMs: 0 };
    const t35 = frameSilenceMs(timing);
    const request = transmissionMs(8, timing);
    const answer = transmissionMs(21, timing);

    it('an answer ends request + t3.5 + answer after the request arrived', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const written: number[] = [];
      const bus = new BusScheduler(() => void written.push(performance.now()), timing, rtuWire(timing));
      const start = performance.now();
      const heardAt = bus.hear(8);
      expect(heardAt - start).toBeCloseTo(request, 6);
      void bus.send(Buffer.alloc(21), 0, heardAt);
      await vi.advanceTimersByTimeAsync(request + t35 + answer - 1);
      expect(written).toEqual([]);
      await vi.advanceTimersByTimeAsync(2);
      expect(written).toHaveLength(1);
    });

    it('a request sent right after an answer starts only after its t3.5', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const bus = new BusScheduler(() => undefined, timing, rtuWire(timing));
      const first = bus.hear(8);
      // The master answers at once: the line still owes the previous frame its silence.
      expect(bus.hear(8) - first).toBeCloseTo(t35 + request, 6);
    });

    it('a request after a long pause costs only its own bytes', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const bus = new BusScheduler(() => undefined, timing, rtuWire(timing));
      bus.hear(8);
      vi.advanceTimersByTime(100);
      const now = performance.now();
      expect(bus.hear(8) - now).toBeCloseTo(request, 6);
    });

    it('without timing nothing is charged', () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const bus = new BusScheduler(() => undefined, undefined, rtuWire(undefined));
      const now = performance.now();
      expect(bus.hear(8)).toBe(now);
      expect(bus.hear(8)).toBe(now);
    });
  });
});
