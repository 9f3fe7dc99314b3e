import type { GeoPosition } from '../config/station-schema.js';
import { mulberry32, type Random } from '../simulators/modbus/seeded-random.js';

/** What is wrong with a faulty simulated station. */
export const STATION_FAULTS = ['offline', 'critical', 'no-batteries', 'hot'] as const;
export type StationFault = (typeof STATION_FAULTS)[number];

export interface FleetStationPlan {
  id: string;
  index: number;
  fault: StationFault | undefined;
  /** Seed of this station's own random sequence: the same station behaves the same in any slice. */
  seed: number;
  /** Where it stands: goes into its station config, and from there into its birth. */
  location: GeoPosition;
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
      location: cityPosition(mulberry32(mix(o.seed ^ 0x27d4eb2f, i))),
    });
  }
  return plans;
}

/** Hangzhou: West Lake's east shore, the centre the simulated fleet spreads around. */
const CITY = { lat: 30.2592, lon: 120.1653 };
/** About 25 km, a city's built-up area; ° of latitude are ~111 km everywhere. */
const CITY_RADIUS_DEG = 25 / 111;

/**
 * A point within a city radius of the centre, denser towards it as stations are (a uniform
 * radius, not a uniform area). Its own random sequence, so adding positions moved no fault.
 */
function cityPosition(random: Random): GeoPosition {
  const r = CITY_RADIUS_DEG * random();
  const a = 2 * Math.PI * random();
  // A degree of longitude shrinks with the cosine of the latitude: divide to keep the city round.
  const lat = CITY.lat + r * Math.sin(a);
  const lon = CITY.lon + (r * Math.cos(a)) / Math.cos((CITY.lat * Math.PI) / 180);
  // Five decimals are about a metre: as precise as anyone copies a position.
  return { lat: round5(lat), lon: round5(lon) };
}

const round5 = (x: number): number => Math.round(x * 1e5) / 1e5;

/** A 32-bit hash of (seed, index): neighbouring stations get unrelated sequences. */
function mix(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
