import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlarmRaise } from '../../cloud-bridge/contract-schemas.js';
import { IDENTITY_CONFLICT_ALARM, TakeoverWatch } from '../../cloud-bridge/takeover-watch.js';
import { bridgeConfig, makeBridge, useBrokerFixture } from './bridge-harness.js';

/*
 * Issue 15: a station whose identity is connected twice (two processes, one client id) flapped
 * with no backoff and no alarm: the broker hands the session to each new connection, and each
 * bridge reconnected within its first backoff step, forever. Two real bridges on the embedded
 * broker (MQTT 3.1.1, so no reason code: only the pattern tells) now raise the alarm and back off.
 * The backoff and the thresholds are shortened for the test; the shape is the product's.
 */

const fx = useBrokerFixture('stations/#');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('two bridges with one station identity', () => {
  it('raise cloud.identity-conflict and back off instead of taking the session from each other in a loop', async () => {
    const raised: AlarmRaise[] = [];
    const connects: number[] = [];
    const bridges = ['a', 'b'].map((name) => {
      const dir = join(fx.dir.path, name);
      mkdirSync(dir);
      const b = makeBridge(bridgeConfig(dir, { url: fx.broker.url }, 'st-twin-1'), {
        backoff: { initialMs: 200, maxMs: 5000, minMs: 50 },
        takeover: { shortLivedMs: 2000, threshold: 3, clearAfterMs: 60_000 },
        // The ceiling every time: the waits are the policy's, not luck.
        random: () => 1,
        alarms: { raise: (a) => void raised.push(a), clear: () => undefined },
      });
      fx.closers.push(() => b.close());
      return b;
    });
    for (const b of bridges) {
      b.bridge.start();
      b.client().on('connect', () => connects.push(Date.now()));
    }
    await sleep(8000);
    // Both see it (each is the one taken over in turn), once each.
    expect(raised.filter((a) => a.alarm === IDENTITY_CONFLICT_ALARM).length).toBe(2);
    expect(raised[0]?.detail).toMatchObject({ evidence: 'short-lived-connections', clientId: 'st-twin-1' });
    // Without backoff that is one connect per 200 ms per bridge (80 in 8 s); backing off
    // (200, 400, 800, 1600, 3200 ms...) it is a handful each.
    expect(connects.length).toBeLessThan(20);
  }, 20_000);

  it('a connection the broker does not end is no conflict', async () => {
    const raised: string[] = [];
    const dir = join(fx.dir.path, 'solo');
    mkdirSync(dir);
    const b = makeBridge(bridgeConfig(dir, { url: fx.broker.url }, 'st-solo-1'), {
      takeover: { shortLivedMs: 2000, threshold: 3, clearAfterMs: 60_000 },
      alarms: { raise: (a) => void raised.push(a.alarm), clear: () => undefined },
    });
    fx.closers.push(() => b.close());
    b.bridge.start();
    await sleep(2500);
    expect(b.bridge.connected).toBe(true);
    expect(raised).toEqual([]);
  });
});

describe('TakeoverWatch', () => {
  const watch = (events: string[], t: { now: number }): TakeoverWatch =>
    new TakeoverWatch({
      shortLivedMs: 1000,
      threshold: 3,
      clearAfterMs: 50,
      monotonic: () => t.now,
      onConflict: (d) => void events.push(`conflict ${d.evidence}`),
      onStable: (was) => void events.push(`stable ${was}`),
    });

  it('MQTT 5 "session taken over" (0x8E) is a conflict at once; a stable connection ends it', async () => {
    const events: string[] = [];
    const t = { now: 0 };
    const w = watch(events, t);
    w.connected();
    w.takenOver();
    w.closed();
    expect(events).toEqual(['conflict session-taken-over']);
    expect(w.conflict).toBe(true);
    w.connected();
    await sleep(100);
    expect(events).toEqual(['conflict session-taken-over', 'stable true']);
    expect(w.conflict).toBe(false);
    w.stop();
  });

  it('drops after long connections (a poor link) are no conflict', () => {
    const events: string[] = [];
    const t = { now: 0 };
    const w = watch(events, t);
    for (let i = 0; i < 5; i++) {
      w.connected();
      t.now += i % 2 === 0 ? 5000 : 10;
      w.closed();
    }
    expect(events).toEqual([]);
    w.stop();
  });
});
