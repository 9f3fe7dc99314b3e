import type { Logger } from 'pino';
import type { DeviceEvent } from '../../device-drivers/device.js';
import type { StationAlarms } from '../station/station-alarms.js';
import type { EventRecorder } from '../station/event-recorder.js';
import { systemClock, type Clock } from '../../config/clock.js';

/** After an unlock window or an exit press, the door may still be pushed open this long after. */
export const OPEN_GRACE_MS = 3000;
/** The exit button releases the door for egress; opening within this time after a press is not forced. */
export const EXIT_WINDOW_MS = 10_000;

interface DoorWatch {
  allowedUntil: number;
  cancelHeld?: (() => void) | undefined;
  open: boolean;
}

export interface DoorSupervisorOptions {
  recorder: EventRecorder;
  alarms: StationAlarms;
  log: Logger;
  /** How long each door may stand open, by `device:door`; others get `defaultHeldSeconds`. */
  heldSeconds: ReadonlyMap<string, number>;
  defaultHeldSeconds?: number | undefined;
  /** Time and the held-open timer; the system clock unless a test drives it. */
  clock?: Clock | undefined;
}

/**
 * Watches what the doors do against what the gateway allowed: a door that opens with no unlock
 * and no exit press is forced (event and alarm), a door left open too long is held (event and
 * alarm, cleared when it closes). Egress does not pass through here: the lock controller frees the
 * door from inside by itself, and a gateway crash leaves every door locked from outside.
 */
export class DoorSupervisor {
  private readonly doors = new Map<string, DoorWatch>();
  private readonly clock: Clock;

  constructor(private readonly options: DoorSupervisorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  private now(): number {
    return this.clock.now();
  }

  /** The gateway released `door` for `ms`. */
  unlocked(device: string, door: number, ms: number): void {
    const w = this.watch(device, door);
    w.allowedUntil = Math.max(w.allowedUntil, this.now() + ms + OPEN_GRACE_MS);
  }

  /** A device event; door controllers' (`door.opened`, `door.closed`, `exit.pressed`) are followed. */
  deviceEvent(device: string, event: DeviceEvent): void {
    if (event.type !== 'door.opened' && event.type !== 'door.closed' && event.type !== 'exit.pressed') return;
    const { type } = event;
    const door = event.data.door;
    const key = `${device}:${door}`;
    const w = this.watch(device, door);
    if (type === 'exit.pressed') {
      w.allowedUntil = Math.max(w.allowedUntil, this.now() + EXIT_WINDOW_MS);
    } else if (type === 'door.opened' && !w.open) {
      w.open = true;
      if (this.now() > w.allowedUntil) {
        this.options.recorder.record({ type: 'door.forced', device, data: { door } });
        this.options.alarms.raise({ alarm: 'door.forced', severity: 'critical', device, detail: { door } });
      }
      const seconds = this.options.heldSeconds.get(key) ?? this.options.defaultHeldSeconds ?? 60;
      w.cancelHeld = this.clock.after(seconds * 1000, () => {
        w.cancelHeld = undefined;
        this.options.recorder.record({ type: 'door.held', device, data: { door, seconds } });
        this.options.alarms.raise({ alarm: 'door.held', severity: 'major', device, detail: { door, seconds } });
      });
    } else if (type === 'door.closed' && w.open) {
      w.open = false;
      w.cancelHeld?.();
      w.cancelHeld = undefined;
      this.options.alarms.clear('door.held', device);
      this.options.alarms.clear('door.forced', device);
    }
  }

  stop(): void {
    for (const w of this.doors.values()) {
      w.cancelHeld?.();
      w.cancelHeld = undefined;
    }
  }

  private watch(device: string, door: number): DoorWatch {
    const key = `${device}:${door}`;
    let w = this.doors.get(key);
    if (!w) {
      w = { allowedUntil: 0, open: false };
      this.doors.set(key, w);
    }
    return w;
  }
}
