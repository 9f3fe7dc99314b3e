import { afterEach, describe, expect, it } from 'vitest';
import { DoorSupervisor, EXIT_WINDOW_MS, OPEN_GRACE_MS } from '../../../gateway/access/door-supervisor.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { EventRecorder } from '../../../gateway/station/event-recorder.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const stores: StationStore[] = [];
afterEach(() => {
  while (stores.length) stores.pop()?.stop();
});

/** A supervisor over a real in-memory store, on fake time; door 1 of `lock-1` may stand open 30 s. */
function doors(defaultHeldSeconds?: number) {
  const log = silentLogger();
  const store = new StationStore(':memory:', log);
  store.start();
  stores.push(store);
  const clock = new FakeClock();
  const alarms = new StationAlarms(store.alarms, store.outbox, log);
  const supervisor = new DoorSupervisor({
    recorder: new EventRecorder(store.outbox, log),
    alarms,
    log,
    heldSeconds: new Map([['lock-1:1', 30]]),
    defaultHeldSeconds,
    clock,
  });
  const event = (type: 'door.opened' | 'door.closed' | 'exit.pressed', door = 1, device = 'lock-1'): void =>
    supervisor.deviceEvent(device, { type, data: { door } });
  return {
    clock,
    supervisor,
    event,
    /** Door events recorded so far (alarm.raised / alarm.cleared left out), as `type:device:door`. */
    recorded: () =>
      store.outbox
        .pending(1000)
        .filter((e) => e.type.startsWith('door.'))
        .map((e) => `${e.type}:${e.device}:${String(e.data['door'])}`),
    active: () => alarms.active().map((a) => `${a.alarm}:${a.device}:${a.severity}`),
  };
}

describe('DoorSupervisor on fake time', () => {
  it('raises door.held once the door has stood open its heldOpenSeconds, and clears it on close', () => {
    const d = doors();
    d.supervisor.unlocked('lock-1', 1, 5000);
    d.event('door.opened');
    d.clock.advance(29_999);
    expect(d.active()).toEqual([]);
    d.clock.advance(1);
    expect(d.recorded()).toEqual(['door.held:lock-1:1']);
    expect(d.active()).toEqual(['door.held:lock-1:major']);
    d.event('door.closed');
    expect(d.active()).toEqual([]);
    expect(d.clock.pending()).toBe(0);
  });

  it('gives a door without its own time the default, and 60 s without one', () => {
    const d = doors(10);
    d.supervisor.unlocked('lock-1', 2, 5000);
    d.event('door.opened', 2);
    d.clock.advance(10_000);
    expect(d.recorded()).toEqual(['door.held:lock-1:2']);

    const e = doors();
    e.supervisor.unlocked('lock-2', 1, 5000);
    e.event('door.opened', 1, 'lock-2');
    e.clock.advance(59_999);
    expect(e.recorded()).toEqual([]);
    e.clock.advance(1);
    expect(e.recorded()).toEqual(['door.held:lock-2:1']);
  });

  it('a door closed in time is never held, and a new opening starts a new count', () => {
    const d = doors();
    d.supervisor.unlocked('lock-1', 1, 5000);
    d.event('door.opened');
    d.clock.advance(20_000);
    d.event('door.closed');
    d.clock.advance(60_000);
    expect(d.recorded()).toEqual([]);
    d.supervisor.unlocked('lock-1', 1, 5000);
    d.event('door.opened');
    d.clock.advance(20_000);
    expect(d.recorded()).toEqual([]);
    d.clock.advance(10_000);
    expect(d.recorded()).toEqual(['door.held:lock-1:1']);
  });

  it('an opening within the unlock window and its grace is allowed; one after it is forced', () => {
    const d = doors();
    d.supervisor.unlocked('lock-1', 1, 5000);
    d.clock.advance(5000 + OPEN_GRACE_MS);
    d.event('door.opened');
    d.event('door.closed');
    expect(d.recorded()).toEqual([]);

    d.supervisor.unlocked('lock-1', 1, 5000);
    d.clock.advance(5000 + OPEN_GRACE_MS + 1);
    d.event('door.opened');
    expect(d.recorded()).toEqual(['door.forced:lock-1:1']);
    expect(d.active()).toEqual(['door.forced:lock-1:critical']);
    d.event('door.closed');
    expect(d.active()).toEqual([]);
  });

  it('an exit press lets the door open for egress within the exit window only', () => {
    const d = doors();
    d.event('exit.pressed');
    d.clock.advance(EXIT_WINDOW_MS);
    d.event('door.opened');
    d.event('door.closed');
    expect(d.recorded()).toEqual([]);

    d.event('exit.pressed');
    d.clock.advance(EXIT_WINDOW_MS + 1);
    d.event('door.opened');
    expect(d.recorded()).toEqual(['door.forced:lock-1:1']);
  });

  it('a door opened with nothing allowed is forced and, left open, held too', () => {
    const d = doors();
    d.event('door.opened');
    d.clock.advance(30_000);
    expect(d.recorded()).toEqual(['door.forced:lock-1:1', 'door.held:lock-1:1']);
    expect(d.active().sort()).toEqual(['door.forced:lock-1:critical', 'door.held:lock-1:major']);
  });

  it('stop cancels the held-open timers', () => {
    const d = doors();
    d.supervisor.unlocked('lock-1', 1, 5000);
    d.event('door.opened');
    d.supervisor.stop();
    expect(d.clock.pending()).toBe(0);
    d.clock.advance(120_000);
    expect(d.recorded()).toEqual([]);
  });
});
