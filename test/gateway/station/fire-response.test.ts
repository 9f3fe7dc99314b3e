import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DoorController } from '../../../device-drivers/capabilities/capabilities.js';
import { FireResponse, type SmokeSource } from '../../../gateway/station/fire-response.js';
import { FakeClock } from './station-fakes.js';

class Source extends EventEmitter<{ changed: [] }> implements SmokeSource {
  smoke = false;
  constructor(readonly device: string) {
    super();
  }
  smokeActive(): boolean {
    return this.smoke;
  }
  set(on: boolean): void {
    this.smoke = on;
    this.emit('changed');
  }
}

/** A controller that can only release a door for a time (the serial lock's unlock). */
function pulsingDoor(): DoorController & { unlocks: Array<{ door: number; ms: number }> } {
  const unlocks: Array<{ door: number; ms: number }> = [];
  return {
    kind: 'door-lock',
    unlocks,
    unlock: async (door, ms) => {
      unlocks.push({ door, ms });
      return { door, released: true, acknowledged: true };
    },
  };
}

function holdingDoor(): DoorController & { released: boolean[] } {
  const released: boolean[] = [];
  return { kind: 'door-lock', released, unlock: async (door) => ({ door, released: true, acknowledged: true }), release: async (on) => void released.push(on) };
}

function setup() {
  const clock = new FakeClock();
  const cabinetSmoke = new Source('cabinet-1');
  const detector = new Source('smoke-1');
  const holds: Array<[string, string | undefined]> = [];
  const cabinets = ['cabinet-1', 'cabinet-2'].map((device) => ({ device, holdCharging: (reason: string | undefined) => void holds.push([device, reason]) }));
  const pulsing = pulsingDoor();
  const holding = holdingDoor();
  const allowed: string[] = [];
  const events: string[] = [];
  const fire = new FireResponse({
    sources: [cabinetSmoke, detector],
    cabinets,
    doors: [
      { device: 'lock-1', door: 1, controller: pulsing },
      { device: 'lock-1', door: 2, controller: pulsing },
      { device: 'gpio-door', door: 1, controller: holding },
    ],
    allowOpen: (device, door) => void allowed.push(`${device}:${door}`),
    recorder: { record: (e) => void events.push(e.type) },
    log: pino({ level: 'silent' }),
    clock,
    pulseMs: 10_000,
  });
  return { clock, cabinetSmoke, detector, holds, pulsing, holding, allowed, events, fire };
}

describe('fire response: smoke from any device', () => {
  it('a smoke detector alone holds off charging in every cabinet and releases every door until it clears', async () => {
    const t = setup();
    t.fire.start();
    expect(t.holds).toEqual([]);
    t.detector.set(true);
    expect(t.holds).toEqual([
      ['cabinet-1', 'smoke'],
      ['cabinet-2', 'smoke'],
    ]);
    await Promise.resolve();
    expect(t.pulsing.unlocks.map((u) => u.door)).toEqual([1, 2]);
    expect(t.holding.released).toEqual([true]);
    expect(t.allowed).toEqual(['lock-1:1', 'lock-1:2', 'gpio-door:1']);
    expect(t.events).toEqual(['fire.started']);

    // A timed release is renewed before it runs out, for as long as the smoke lasts.
    t.clock.advance(10_000);
    t.clock.advance(10_000);
    expect(t.pulsing.unlocks).toHaveLength(6);
    expect(t.pulsing.unlocks.every((u) => u.ms > 10_000)).toBe(true);

    t.detector.set(false);
    await Promise.resolve();
    expect(t.holds.slice(-2)).toEqual([
      ['cabinet-1', undefined],
      ['cabinet-2', undefined],
    ]);
    expect(t.holding.released).toEqual([true, true, true, false]);
    t.clock.advance(60_000);
    expect(t.pulsing.unlocks).toHaveLength(6);
    expect(t.events).toEqual(['fire.started', 'fire.ended']);
    t.fire.stop();
  });

  it('stays in force while any source still sees smoke', () => {
    const t = setup();
    t.fire.start();
    t.cabinetSmoke.set(true);
    t.detector.set(true);
    t.cabinetSmoke.set(false);
    expect(t.fire.smokeAt()).toEqual(['smoke-1']);
    expect(t.events).toEqual(['fire.started']);
    t.detector.set(false);
    expect(t.events).toEqual(['fire.started', 'fire.ended']);
    t.fire.stop();
  });

  it('smoke already latched at start (restored from the alarm table) releases at once', () => {
    const t = setup();
    t.detector.smoke = true;
    t.fire.start();
    expect(t.events).toEqual(['fire.started']);
    expect(t.holds).toHaveLength(2);
    t.fire.stop();
    expect(t.clock.pending()).toBe(0);
  });
});
