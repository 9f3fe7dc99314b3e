import { describe, expect, it } from 'vitest';
import { HealthGate, type GateOutcome } from '../../gateway/remote-config/health-gate.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';

function gate(over: { expectOnline?: string[]; probeStore?: () => Promise<void> } = {}): { clock: FakeClock; gate: HealthGate; probes: () => number } {
  const clock = new FakeClock();
  let probes = 0;
  const g = new HealthGate({
    clock,
    gateSeconds: 60,
    expectOnline: over.expectOnline ?? ['cabinet-1', 'lock-1'],
    probeStore: async () => {
      probes++;
      return over.probeStore?.();
    },
  });
  return { clock, gate: g, probes: () => probes };
}

/** The outcome, or 'pending' when the gate has not decided. */
async function peek(p: Promise<GateOutcome>): Promise<GateOutcome | 'pending'> {
  await settle();
  return Promise.race([p, Promise.resolve('pending' as const)]);
}

describe('the health gate', () => {
  it('passes as soon as the broker is connected, every device online before is online and a store write succeeded', async () => {
    const { clock, gate: g } = gate();
    const decided = g.start();
    expect(await peek(decided)).toBe('pending');
    await clock.advanceSettling(5000);
    g.brokerConnected(true);
    g.deviceOnline('cabinet-1', true);
    expect(await peek(decided)).toBe('pending');
    await clock.advanceSettling(7000);
    g.deviceOnline('lock-1', true);
    expect(await peek(decided)).toEqual({ passed: true, afterMs: 12_000 });
    expect(g.current).toBe('passed');
    // Decided once: what comes later changes nothing.
    g.brokerConnected(false);
    g.fail('late');
    expect(g.current).toBe('passed');
    expect(clock.pending()).toBe(0);
  });

  it('all at once: a broker link that dropped again before the last device came back does not pass', async () => {
    const { clock, gate: g } = gate({ expectOnline: ['cabinet-1'] });
    const decided = g.start({ connected: true });
    await settle();
    g.brokerConnected(false);
    g.deviceOnline('cabinet-1', true);
    expect(await peek(decided)).toBe('pending');
    await clock.advanceSettling(60_000);
    expect(await decided).toEqual({ passed: false, code: 'CONFIG_GATE_FAILED', problems: ['not connected to the broker within 60 s'], afterMs: 60_000 });
  });

  it('times out at gateSeconds and names what was missing: a device that never answered', async () => {
    const { clock, gate: g } = gate();
    const decided = g.start({ connected: true, online: ['lock-1'] });
    await clock.advanceSettling(59_999);
    expect(await peek(decided)).toBe('pending');
    await clock.advanceSettling(1);
    expect(await decided).toEqual({ passed: false, code: 'CONFIG_GATE_FAILED', problems: ['device cabinet-1 did not come online within 60 s'], afterMs: 60_000 });
  });

  it('retries a failing store write every second and names its error when none succeeded', async () => {
    let ok = false;
    const { clock, gate: g, probes } = gate({ expectOnline: [], probeStore: async () => (ok ? undefined : Promise.reject(new Error('disk full'))) });
    const decided = g.start({ connected: true });
    await clock.advanceSettling(3000);
    expect(probes()).toBe(4);
    ok = true;
    await clock.advanceSettling(1000);
    expect(await peek(decided)).toEqual({ passed: true, afterMs: 4000 });

    const second = gate({ expectOnline: [], probeStore: () => Promise.reject(new Error('disk full')) });
    const failed = second.gate.start({ connected: true });
    await second.clock.advanceSettling(60_000);
    expect(await failed).toMatchObject({ passed: false, problems: ['no write to the store succeeded within 60 s (disk full)'] });
    expect(second.clock.pending()).toBe(0);
  });

  it('fails at once on fail(), and a cancelled gate never decides', async () => {
    const { gate: g } = gate();
    const decided = g.start();
    g.fail('the devices part did not start: EADDRINUSE');
    expect(await peek(decided)).toEqual({ passed: false, code: 'CONFIG_GATE_FAILED', problems: ['the devices part did not start: EADDRINUSE'], afterMs: 0 });

    const other = gate();
    const never = other.gate.start();
    other.gate.cancel();
    await other.clock.advanceSettling(120_000);
    expect(await peek(never)).toBe('pending');
    expect(other.gate.current).toBe('cancelled');
    expect(() => other.gate.start()).toThrow(/started already/);
  });

  it('tells its feeders once it has settled: on a decision, on a cancel, and at once when already settled', async () => {
    const settled: string[] = [];
    const passing = gate({ expectOnline: [] });
    const decided = passing.gate.start({ connected: true });
    passing.gate.onSettled(() => settled.push('passed'));
    await decided;
    expect(settled).toEqual(['passed']);
    passing.gate.onSettled(() => settled.push('late'));
    expect(settled).toEqual(['passed', 'late']);
    const cancelled = gate();
    void cancelled.gate.start();
    cancelled.gate.onSettled(() => settled.push('cancelled'));
    cancelled.gate.cancel();
    expect(settled).toEqual(['passed', 'late', 'cancelled']);
  });
});
