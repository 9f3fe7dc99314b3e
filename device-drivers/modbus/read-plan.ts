import type { PointSpec } from '../../config/profile-schema.js';
import { registerCount } from '../../config/profile-schema.js';

export type Table = PointSpec['table'];

/** One point placed at an absolute address, with the path it is published under. */
export interface PlacedPoint {
  path: readonly (string | number)[];
  spec: PointSpec;
  address: number;
  length: number;
}

/** One read transaction: a run of addresses in one table and the points it serves. */
export interface ReadBlock {
  table: Table;
  start: number;
  count: number;
  points: PlacedPoint[];
}

export interface PlanLimits {
  /** Unused registers a block may bridge rather than start a new transaction. */
  maxGap: number;
  /** Registers per request (FC3/FC4 allow 125; some devices take fewer). */
  maxRegisters: number;
  /** Bits per request (FC1/FC2 allow 2000). */
  maxBits?: number;
}

/**
 * Merges points into as few read transactions as the limits allow. On a shared 9600-baud line
 * each transaction costs a request, a reply and two 3.5-character silences, so the count of
 * blocks, not the bytes, is what bounds the poll rate. Greedy over sorted addresses is optimal
 * here: any block that skips a point would only add a transaction.
 */
export function planReads(points: readonly PlacedPoint[], limits: PlanLimits): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const byTable = new Map<Table, PlacedPoint[]>();
  for (const p of points) {
    const list = byTable.get(p.spec.table) ?? [];
    list.push(p);
    byTable.set(p.spec.table, list);
  }
  for (const [table, list] of byTable) {
    const isBits = table === 'coil' || table === 'discrete';
    const maxSpan = isBits ? (limits.maxBits ?? 2000) : limits.maxRegisters;
    const sorted = [...list].sort((a, b) => a.address - b.address || b.length - a.length);
    let current: ReadBlock | undefined;
    for (const p of sorted) {
      const end = p.address + p.length;
      if (current) {
        const currentEnd = current.start + current.count;
        const gap = p.address - currentEnd;
        if (gap <= limits.maxGap && end - current.start <= maxSpan) {
          current.count = Math.max(currentEnd, end) - current.start;
          current.points.push(p);
          continue;
        }
      }
      current = { table, start: p.address, count: p.length, points: [p] };
      blocks.push(current);
    }
  }
  return blocks;
}

/** Length in table units (registers or bits) of a point. */
export function pointLength(spec: PointSpec): number {
  return spec.table === 'coil' || spec.table === 'discrete' ? 1 : registerCount(spec.type);
}
