import type { Availability, OutOfServiceEntry } from '../../cloud-bridge/contract-schemas.js';
import { stationAvailability, type AvailabilityInputs } from './availability-rule.js';
import { systemClock, type Clock } from '../../config/clock.js';

/** Says when what it reports changed; structural, so an emitter with more events fits too. */
export interface ChangeSource {
  on(event: 'changed', listener: () => void): unknown;
  off(event: 'changed', listener: () => void): unknown;
}

/** What availability reads from a cabinet (CabinetSafety). */
export interface CabinetSource extends ChangeSource {
  readyBatteries(): Record<string, number>;
  /** Smoke as battery safety latched it (raised at once, cleared after a quiet spell). */
  smokeActive(): boolean;
  /** Its slots an operator took out of service (cmd/slot), as `outOfService` lists them. */
  slotsOutOfService?(): OutOfServiceEntry[];
}

/** What availability reads from a smoke detector (SmokeWatch). */
export interface SmokeDetectorSource extends ChangeSource {
  smokeActive(): boolean;
}

/** What availability reads from a dispenser (WaterService). */
export interface WaterSource extends ChangeSource {
  ok(): boolean;
}

/** What availability reads of the resources out of service (ResourceService). */
export interface OutOfServiceSource extends ChangeSource {
  list(): OutOfServiceEntry[];
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
  /** The station's smoke detectors (SmokeWatch): smoke in any closes the station as a cabinet's does. */
  detectors?: readonly SmokeDetectorSource[];
  /** The resources out of service (`outOfService`); absent, the field is left out. */
  resources?: OutOfServiceSource | undefined;
  /** Whether access is granted at all now (opening hours); default always. */
  open?: () => boolean;
  /** The entrance doors: how many are in service, whether any lock answers; absent, no doors service. */
  doors?: (() => NonNullable<AvailabilityInputs['doors']>) | undefined;
  /**
   * Whether every device availability depends on has had its first reading or its offline
   * verdict; nothing is published before (default: at once). At boot the sources read as
   * "offline, nothing ready" for the first few hundred milliseconds, and publishing that would
   * flash `open:false` to every map before the real answer.
   */
  settled?: () => boolean;
  /** Opening hours change with time alone, not with any event: recomputed at least this often. */
  refreshMs?: number;
  clock?: Clock | undefined;
}

/**
 * The contract's `S/availability`: what a map or an app shows a worker. Recomputed whenever a
 * source says it changed (and every `refreshMs`), handed on only when the value differs and only
 * once the sources have settled. What it says is `stationAvailability` (availability-rule.ts):
 * `services` `doors {usable, reason?}`, `batteries {ready: {"48V": n, ...}}` (batteries a swap
 * would offer: locked-out and faulty slots excluded), `water {ok}`, `occupancy {inside}`; `outOfService`
 * (the resources out of service, from the station file or cmd/service, then the cabinet slots out
 * of service by cmd/slot, with `device` and `slot`); `open`
 * false for smoke, an unusable entrance (the doors' `reason` says which) or outside opening hours.
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
    if (this.options.settled && !this.options.settled()) return;
    const next = this.compute();
    const text = JSON.stringify(next);
    if (text === this.last) return;
    this.last = text;
    this.options.publish(next);
  }

  compute(): Availability {
    const { cabinets = [], water = [], occupancy = [], detectors = [], open, doors, resources } = this.options;
    // A cabinet's slots out of service follow the resources: one list for every operator's console.
    const slots = cabinets.flatMap((c) => c.slotsOutOfService?.() ?? []);
    return stationAvailability({
      outOfService: resources || slots.length > 0 ? [...(resources?.list() ?? []), ...slots] : undefined,
      withinHours: open?.() ?? true,
      doors: doors?.(),
      cabinets: cabinets.map((c) => ({ smoke: c.smokeActive(), ready: c.readyBatteries() })),
      water: water.map((w) => w.ok()),
      occupancy: occupancy.map((o) => o.inside()),
      detectors: detectors.map((d) => d.smokeActive()),
    });
  }

  private sources(): ChangeSource[] {
    const { cabinets = [], water = [], occupancy = [], detectors = [], resources } = this.options;
    return [...cabinets, ...water, ...occupancy, ...detectors, ...(resources ? [resources] : [])];
  }

  private tick(): void {
    this.refresh();
    this.cancelTimer = this.clock.after(this.options.refreshMs ?? 60_000, () => this.tick());
  }
}
