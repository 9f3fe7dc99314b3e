import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceDriver, DeviceEvent } from '../../../device-drivers/device.js';
import type { Points } from '../../../device-drivers/device-state.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';

type Answer = 'ok' | 'timeout' | 'skipped';

/**
 * A driver that answers from a script, each read taking `latencyMs` of the fake clock: the
 * monitor's schedule and thresholds are what is under test, not a protocol.
 */
class ScriptedDriver implements DeviceDriver {
  readonly kind = 'occupancy' as const;
  readonly model = 'scripted';
  readonly readsAt: number[] = [];
  private n = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly script: (n: number) => Answer,
    private readonly latencyMs = 0,
  ) {}
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  deadbands(): Record<string, number> {
    return {};
  }
  onEvent(_listener: (event: DeviceEvent) => void): () => void {
    return () => undefined;
  }
  read(): Promise<Points> {
    this.readsAt.push(this.clock.now());
    const answer = this.script(this.n++);
    return new Promise((resolve, reject) => {
      this.clock.after(this.latencyMs, () => {
        if (answer === 'ok') resolve({ presence: true });
        else if (answer === 'timeout') reject(new DeviceError('TIMEOUT', 'no answer'));
        else reject(new DeviceError('TIMEOUT', 'unit backing off', { skipped: true }));
      });
    });
  }
}

const monitors: Array<{ monitor: DeviceMonitor; clock: FakeClock }> = [];
afterEach(async () => {
  for (const { monitor, clock } of monitors.splice(0)) {
    // stop() waits for a read in flight, which ends only as the fake clock moves.
    const stopping = monitor.stop();
    await clock.advanceSettling(60_000);
    await stopping;
  }
});

function watch(script: (n: number) => Answer, options: { pollMs?: number; offlineAfter?: number; latencyMs?: number } = {}) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const driver = new ScriptedDriver(clock, script, options.latencyMs ?? 0);
  const monitor = new DeviceMonitor({ id: 'dev-1', driver, pollMs: options.pollMs ?? 1000, offlineAfter: options.offlineAfter ?? 3, log: silentLogger(), clock });
  monitors.push({ monitor, clock });
  const changes: string[] = [];
  monitor.on('online', () => changes.push(`online@${clock.now() - t0}`));
  monitor.on('offline', (e) => changes.push(`offline@${clock.now() - t0}:${e.code}`));
  return { clock, driver, monitor, changes, readsAt: () => driver.readsAt.map((t) => t - t0) };
}

describe('DeviceMonitor on fake time', () => {
  it('polls at once on start, then a period after each poll started, so a read that waited on the bus keeps the pace', async () => {
    const w = watch(() => 'ok', { pollMs: 1000, latencyMs: 300 });
    await w.monitor.start();
    await w.clock.advanceSettling(4000);
    expect(w.readsAt()).toEqual([0, 1000, 2000, 3000, 4000]);
    // The fifth read is still in flight.
    expect(w.monitor.pollStats()).toMatchObject({ polls: 4, lastSettledAt: w.clock.now() - 4000 + 3300 });
    expect(w.monitor.state().health.latencyMs).toBe(300);
  });

  it('a read that took a whole period or more is followed a period after it settled, never back to back', async () => {
    const w = watch(() => 'timeout', { pollMs: 500, latencyMs: 700 });
    await w.monitor.start();
    await w.clock.advanceSettling(3600);
    expect(w.readsAt()).toEqual([0, 1200, 2400, 3600]);
  });

  it('a device never seen goes offline at the threshold, once, and online on its first answer', async () => {
    const w = watch((n) => (n < 5 ? 'timeout' : 'ok'), { pollMs: 1000, offlineAfter: 3 });
    await w.monitor.start();
    await w.clock.advanceSettling(1999);
    expect(w.changes).toEqual([]);
    await w.clock.advanceSettling(1);
    expect(w.changes).toEqual(['offline@2000:TIMEOUT']);
    await w.clock.advanceSettling(2000);
    expect(w.changes).toEqual(['offline@2000:TIMEOUT']);
    await w.clock.advanceSettling(1000);
    expect(w.changes).toEqual(['offline@2000:TIMEOUT', 'online@5000']);
    expect(w.monitor.state().health.errors.TIMEOUT).toBe(5);
  });

  it('an online device goes offline after offlineAfter failures in a row; skipped polls count toward it but not as errors', async () => {
    const script: Answer[] = ['ok', 'timeout', 'ok', 'timeout', 'skipped', 'skipped', 'ok'];
    const w = watch((n) => script[n] ?? 'ok', { pollMs: 500, offlineAfter: 3 });
    await w.monitor.start();
    await w.clock.advanceSettling(0);
    expect(w.changes).toEqual(['online@0']);
    await w.clock.advanceSettling(1000);
    // One failure between two answers resets the count.
    expect(w.changes).toEqual(['online@0']);
    await w.clock.advanceSettling(1500);
    expect(w.changes).toEqual(['online@0', 'offline@2500:TIMEOUT']);
    await w.clock.advanceSettling(500);
    expect(w.changes).toEqual(['online@0', 'offline@2500:TIMEOUT', 'online@3000']);
    expect(w.monitor.state().health.errors.TIMEOUT).toBe(2);
  });

  it('a new poll period takes effect from the next scheduled poll', async () => {
    const w = watch(() => 'ok', { pollMs: 1000 });
    await w.monitor.start();
    await w.clock.advanceSettling(500);
    w.monitor.setPollMs(200);
    await w.clock.advanceSettling(1500);
    expect(w.readsAt()).toEqual([0, 1000, 1200, 1400, 1600, 1800, 2000]);
  });

  it('stop cancels the scheduled poll: nothing is left on the clock and no read follows', async () => {
    const w = watch(() => 'ok', { pollMs: 1000 });
    await w.monitor.start();
    await w.clock.advanceSettling(1500);
    await w.monitor.stop();
    expect(w.clock.pending()).toBe(0);
    await w.clock.advanceSettling(10_000);
    expect(w.readsAt()).toEqual([0, 1000]);
  });
});
