import type { Profile } from '../../config/profile-schema.js';
import type { PointValue, Points } from '../device.js';
import { decodePoint } from './register-codec.js';
import { pointLength, type PlacedPoint, type ReadBlock } from './read-plan.js';

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

/** The data one block read returned: registers (16-bit words) or bits. */
export type BlockData = readonly number[] | readonly boolean[];

/** Decodes block reads into the nested points a device publishes (`slots[3].soc`). */
export function decodeBlocks(profile: Profile, blocks: readonly ReadBlock[], data: readonly BlockData[]): Points {
  const out: Points = {};
  const defaults = { byteOrder: profile.byteOrder, wordOrder: profile.wordOrder };
  blocks.forEach((block, b) => {
    const raw = data[b] ?? [];
    for (const p of block.points) {
      const offset = p.address - block.start;
      const slice = raw.slice(offset, offset + p.length).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
      setPath(out, p.path, decodePoint(p.spec, slice, defaults));
    }
  });
  return out;
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

function setPath(target: Points, path: readonly (string | number)[], value: PointValue): void {
  let node: Record<string, PointValue> | PointValue[] = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    const nextIsIndex = typeof path[i + 1] === 'number';
    const container = node as Record<string | number, PointValue>;
    if (container[key] === undefined || container[key] === null) container[key] = nextIsIndex ? [] : {};
    node = container[key] as Record<string, PointValue> | PointValue[];
  }
  (node as Record<string | number, PointValue>)[path[path.length - 1] as string | number] = value;
}
