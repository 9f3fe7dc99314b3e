import { mulberry32 } from '../modbus/seeded-random.js';

/** What is wrong with a faulty simulated station. */
export const STATION_FAULTS = ['offline', 'critical', 'no-batteries', 'hot'] as const;
export type StationFault = (typeof STATION_FAULTS)[number];

export interface FleetStationPlan {
  id: string;
  index: number;
  fault: StationFault | undefined;
  /** Seed of this station's own random sequence: the same station behaves the same in any slice. */
  seed: number;
}

export interface FleetPlanOptions {
  stations: number;
  /** Share of faulty stations, 0..100. */
  faultyPercent: number;
  seed: number;
  /** First station number: a fleet split over processes plans each slice with its offset. */
  offset?: number;
  idPrefix?: string;
}

/**
 * Which stations exist and which are faulty. Every decision depends on (seed, index) alone, so
 * `--processes 4` simulates exactly the fleet one process would, split four ways.
 */
export function planFleet(o: FleetPlanOptions): FleetStationPlan[] {
  const offset = o.offset ?? 0;
  const plans: FleetStationPlan[] = [];
  for (let i = offset; i < offset + o.stations; i++) {
    const random = mulberry32(mix(o.seed, i));
    const faulty = random() * 100 < o.faultyPercent;
    plans.push({
      id: `${o.idPrefix ?? 'fleet'}-${String(i + 1).padStart(5, '0')}`,
      index: i,
      fault: faulty ? STATION_FAULTS[Math.floor(random() * STATION_FAULTS.length)] : undefined,
      seed: mix(o.seed ^ 0x5bd1e995, i),
    });
  }
  return plans;
}

/** A 32-bit hash of (seed, index): neighbouring stations get unrelated sequences. */
function mix(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
