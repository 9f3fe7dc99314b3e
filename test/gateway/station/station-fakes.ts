import type { DeviceState, Points } from '../../../device-drivers/device.js';
import type { Clock, DeviceCommander } from '../../../gateway/station/station-ports.js';

/** A clock that moves only when the test says so; timers fire in time order as it passes them. */
export class FakeClock implements Clock {
  private t = Date.parse('2026-11-29T02:00:00.000Z');
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 0;

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }

  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = until;
  }

  pending(): number {
    return this.timers.length;
  }
}

/** Records every device command; `fail` makes the next ones reject. */
export class FakeCommander implements DeviceCommander {
  readonly calls: Array<{ name: string; value: boolean | number | undefined; index: number | undefined }> = [];
  fail = false;

  command(name: string, value?: boolean | number, index?: number): Promise<void> {
    this.calls.push({ name, value, index });
    return this.fail ? Promise.reject(new Error('TIMEOUT')) : Promise.resolve();
  }

  /** Commands of one name, as `[value, index]` pairs. */
  of(name: string): Array<[boolean | number | undefined, number | undefined]> {
    return this.calls.filter((c) => c.name === name).map((c) => [c.value, c.index]);
  }
}

export const online = (points: Points): DeviceState => ({ online: true, points, health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } });
export const offline = (): DeviceState => ({ online: false, points: {}, health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } });

export interface SlotSpec {
  state?: 'empty' | 'charging' | 'ready' | 'fault' | 'disabled';
  door?: 'open' | 'closed';
  soc?: number;
  batteryTemp?: number;
  overTemperature?: boolean;
  chargerFault?: boolean;
  batteryId?: number;
  packType?: number;
}

/** Cabinet points in the reference profile's shape. */
export function cabinetPoints(slots: SlotSpec[], smoke = false): Points {
  return {
    status: { mainsOk: true, doorTamper: false, smoke, fanFault: false },
    cabinetTemp: 24,
    slotCount: slots.length,
    firmware: 103,
    slots: slots.map((s) => {
      const state = s.state ?? 'empty';
      const full = state !== 'empty';
      return {
        state,
        door: s.door ?? 'closed',
        soc: s.soc ?? (full ? 50 : 0),
        voltage: 0,
        current: 0,
        batteryTemp: s.batteryTemp ?? 30,
        fault: { overTemperature: s.overTemperature ?? false, overVoltage: false, bmsLinkLost: false, chargerFault: s.chargerFault ?? false },
        batteryId: s.batteryId ?? (full ? 1000 : 0),
        packType: s.packType ?? (full ? 48 : 0),
      };
    }),
  };
}
