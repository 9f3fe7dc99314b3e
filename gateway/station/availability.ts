import type { Availability } from '../../cloud-bridge/contract-schemas.js';
import { systemClock, type Clock } from './station-ports.js';

/** Says when what it reports changed; structural, so an emitter with more events fits too. */
export interface ChangeSource {
  on(event: 'changed', listener: () => void): unknown;
  off(event: 'changed', listener: () => void): unknown;
}

/** What availability reads from a cabinet (CabinetSafety). */
export interface CabinetSource extends ChangeSource {
  readyBatteries(): Record<string, number>;
}

/** What availability reads from a dispenser (WaterService). */
export interface WaterSource extends ChangeSource {
  ok(): boolean;
}

/** What availability reads from an occupancy sensor (OccupancyWatch). */
export interface OccupancySource extends ChangeSource {
  inside(): number | undefined;
}

export interface StationAvailabilityOptions {
  /** Receives every new value (the runtime hands it to `CloudBridge.setAvailability`). */
  publish: (availability: Availability) => void;
  cabinets?: readonly CabinetSource[];
  water?: readonly WaterSource[];
  occupancy?: readonly OccupancySource[];
  /** Whether access is granted at all now (opening hours, clock trust); default always. */
  open?: () => boolean;
  /** Whether the entrance doors can be used (lock online, not out of service); default yes. */
  doorsUsable?: () => boolean;
  /** Opening hours change with time alone, not with any event: recomputed at least this often. */
  refreshMs?: number;
  clock?: Clock;
}

/**
 * The contract's `S/availability`: what a map or an app shows a worker. Recomputed whenever a
 * source says it changed (and every `refreshMs`), handed on only when the value differs.
 * `services`: `doors {usable}`, `batteries {ready: {"48V": n, ...}}` (batteries a swap would
 * offer: locked-out and faulty slots excluded), `water {ok}`, `occupancy {inside}`.
 */
export class StationAvailability {
  private readonly clock: Clock;
  private last = '';
  private cancelTimer: (() => void) | undefined;
  private readonly onChange = (): void => this.refresh();

  constructor(private readonly options: StationAvailabilityOptions) {
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    for (const s of this.sources()) s.on('changed', this.onChange);
    this.tick();
  }

  stop(): void {
    for (const s of this.sources()) s.off('changed', this.onChange);
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** Recomputes now (call it when doors or opening state change). */
  refresh(): void {
    const next = this.compute();
    const text = JSON.stringify(next);
    if (text === this.last) return;
    this.last = text;
    this.options.publish(next);
  }

  compute(): Availability {
    const { cabinets = [], water = [], occupancy = [], open, doorsUsable } = this.options;
    const services: Availability['services'] = {};
    const usable = doorsUsable?.() ?? true;
    if (doorsUsable) services['doors'] = { usable };
    if (cabinets.length > 0) {
      const ready: Record<string, number> = {};
      for (const c of cabinets) for (const [pack, n] of Object.entries(c.readyBatteries())) ready[pack] = (ready[pack] ?? 0) + n;
      services['batteries'] = { ready };
    }
    if (water.length > 0) services['water'] = { ok: water.some((w) => w.ok()) };
    if (occupancy.length > 0) {
      const counts = occupancy.map((o) => o.inside());
      // Unknown (a sensor offline) is published as null, never as an empty room.
      services['occupancy'] = { inside: counts.some((n) => n === undefined) ? null : counts.reduce<number>((a, n) => a + (n ?? 0), 0) };
    }
    return { open: (open?.() ?? true) && usable, services };
  }

  private sources(): ChangeSource[] {
    const { cabinets = [], water = [], occupancy = [] } = this.options;
    return [...cabinets, ...water, ...occupancy];
  }

  private tick(): void {
    this.refresh();
    this.cancelTimer = this.clock.after(this.options.refreshMs ?? 60_000, () => this.tick());
  }
}
