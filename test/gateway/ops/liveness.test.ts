import { describe, expect, it } from 'vitest';
import { Liveness } from '../../../gateway/ops/liveness.js';
import { FakeViewDevice } from './fake-view-device.js';

function setup() {
  let now = 1_000_000;
  let lag = 0;
  const a = new FakeViewDevice('cabinet-1', 1000);
  const b = new FakeViewDevice('water-1', 2000);
  const liveness = new Liveness({ devices: [a, b], timeoutMs: () => 500, loopLagMs: () => lag, maxLoopLagMs: 1000, now: () => now });
  return { liveness, a, b, advance: (ms: number) => (now += ms), at: () => now, setLag: (ms: number) => (lag = ms) };
}

describe('Liveness', () => {
  it('passes while every poller settles polls, failed or not', () => {
    const { liveness, a, b, advance, at } = setup();
    expect(liveness.check()).toEqual({ ok: true });
    for (let i = 0; i < 10; i++) {
      advance(30_000);
      a.settle(at());
      b.settle(at());
      expect(liveness.check()).toEqual({ ok: true });
    }
  });

  it('names the poller that stopped settling once it is past its stall limit', () => {
    const { liveness, a, b, advance, at } = setup();
    expect(liveness.stallAfterMs(a)).toBe(60_000);
    expect(liveness.stallAfterMs(b)).toBe(60_000);
    b.pollMs = 10_000;
    expect(liveness.stallAfterMs(b)).toBe(105_000);
    b.pollMs = 2000;
    a.settle(at());
    b.settle(at());
    advance(61_000);
    a.settle(at());
    const r = liveness.check();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reasons).toEqual([expect.stringContaining('poller of water-1 stalled') as unknown]);
    expect(JSON.stringify(r)).not.toContain('cabinet-1');
  });

  it('counts a poller that never settled from the start of the check', () => {
    const { liveness, advance } = setup();
    advance(59_000);
    expect(liveness.check().ok).toBe(true);
    advance(2_000);
    const r = liveness.check();
    expect(!r.ok && r.reasons.length).toBe(2);
  });

  it('fails on an event-loop stall over the limit and reports the lag it read', () => {
    const { liveness, setLag } = setup();
    setLag(900);
    expect(liveness.check().ok).toBe(true);
    setLag(4000);
    const r = liveness.check();
    expect(!r.ok && r.reasons[0]).toMatch(/event loop stalled for 4000 ms/);
    expect(liveness.lastLoopLagMs).toBe(4000);
  });
});
