import type { Profile } from '../../config/profile-schema.js';
import type { Points } from '../device-state.js';
import { pointLength, type PlacedPoint } from './read-plan.js';

/** Places a profile's points at absolute addresses; groups repeat `counts[group]` times. */
export function placePoints(profile: Profile, counts: Readonly<Record<string, number>>): PlacedPoint[] {
  const placed: PlacedPoint[] = [];
  for (const [name, spec] of Object.entries(profile.points)) {
    placed.push({ path: [name], spec, address: spec.address, length: pointLength(spec) });
  }
  for (const [group, g] of Object.entries(profile.groups)) {
    const n = Math.min(counts[group] ?? 0, g.maxCount);
    for (let i = 0; i < n; i++) {
      for (const [name, spec] of Object.entries(g.points)) {
        placed.push({ path: [group, i, name], spec, address: g.base + g.stride * i + spec.address, length: pointLength(spec) });
      }
    }
  }
  return placed;
}

/** Group instance counts: fixed by the profile, or read from the point it names (capped). */
export function groupCounts(profile: Profile, points: Points): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [group, g] of Object.entries(profile.groups)) {
    const n = typeof g.count === 'number' ? g.count : points[g.count];
    counts[group] = typeof n === 'number' && Number.isInteger(n) && n > 0 ? Math.min(n, g.maxCount) : 0;
  }
  return counts;
}

/** Deadbands by wildcard path (`slots.*.soc`), as the state publisher matches them. */
export function profileDeadbands(profile: Profile): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, spec] of Object.entries(profile.points)) if (spec.deadband !== undefined) out[name] = spec.deadband;
  for (const [group, g] of Object.entries(profile.groups)) {
    for (const [name, spec] of Object.entries(g.points)) if (spec.deadband !== undefined) out[`${group}.*.${name}`] = spec.deadband;
  }
  return out;
}
