import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../config/load-profile.js';
import { builtinProfilesDir } from '../../config/package-root.js';
import { POINT_TYPES, TABLES, pointSchema, profileSchema, type PointSpec, type Profile } from '../../config/profile-schema.js';
import type { PointValue } from '../../device-drivers/device-state.js';
import { compileBlocksDecoder, type BlockData } from '../../device-drivers/modbus/blocks-decoder.js';
import { groupCounts, placePoints } from '../../device-drivers/modbus/profile-layout.js';
import { planReads, type PlacedPoint, type PlanLimits, type ReadBlock } from '../../device-drivers/modbus/read-plan.js';
import { registerCount } from '../../config/profile-schema.js';
import { decodePoint } from '../../device-drivers/modbus/register-codec.js';
import { encodePoint } from '../../device-drivers/modbus/register-encoder.js';
import { PROPERTY_TIMEOUT_MS, settings } from './fuzz-settings.js';

/* Register decoding (the driver) against encoding (the simulator), read planning, and decoding of garbage. */

type Order = 'big' | 'little';
const orderArb = fc.constantFrom<Order>('big', 'little');
/** Scales as profiles write them: decimal steps and small factors. */
const scaleArb = fc.constantFrom(1, 0.1, 0.01, 0.001, 0.5, 0.25, 2, 10, 100);

const point = (fields: Record<string, unknown>): PointSpec => pointSchema.parse(fields);

/** An independent encoder: raw bits of the value, high word first, big-endian bytes, then the orders. */
function referenceWords(raw32: number, width: 1 | 2, byteOrder: Order, wordOrder: Order): number[] {
  const swap = (w: number): number => (byteOrder === 'little' ? ((w & 0xff) << 8) | (w >> 8) : w);
  if (width === 1) return [swap(raw32 & 0xffff)];
  const high = Math.floor(raw32 / 0x10000) & 0xffff;
  const low = raw32 & 0xffff;
  return (wordOrder === 'big' ? [high, low] : [low, high]).map(swap);
}

const decimals = (scale: number): number => {
  const s = String(scale);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
};
const engineering = (raw: number, scale: number): number => {
  const f = 10 ** decimals(scale);
  return Math.round(raw * scale * f) / f;
};

const INTEGER_RANGES = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
} as const;

describe('register codec: decode(encode(x)) == x', () => {
  it(
    'integers of every type, byte order, word order and scale within range',
    () => {
      const typeArb = fc.constantFrom('int16', 'uint16', 'int32', 'uint32') as fc.Arbitrary<keyof typeof INTEGER_RANGES>;
      const caseArb = typeArb.chain((type) =>
        fc.record({
          type: fc.constant(type),
          raw: fc.integer({ min: INTEGER_RANGES[type][0], max: INTEGER_RANGES[type][1] }),
          scale: scaleArb,
          byteOrder: orderArb,
          wordOrder: orderArb,
          profileOrder: fc.record({ byteOrder: orderArb, wordOrder: orderArb }),
          onPoint: fc.boolean(),
        }),
      );
      fc.assert(
        fc.property(caseArb, ({ type, raw, scale, byteOrder, wordOrder, profileOrder, onPoint }) => {
          // The orders come from the point, or else from the profile's defaults.
          const spec = point({ type, address: 0, scale, ...(onPoint ? { byteOrder, wordOrder } : {}) });
          const order = onPoint ? { byteOrder, wordOrder } : profileOrder;
          const width = registerCount(type) as 1 | 2;
          const unsigned = raw < 0 ? raw + (width === 1 ? 0x10000 : 0x100000000) : raw;
          const words = referenceWords(unsigned, width, order.byteOrder, order.wordOrder);
          const x = engineering(raw, scale);
          expect(decodePoint(spec, words, order)).toBe(x);
          expect(encodePoint(spec, x, order)).toEqual(words);
          expect(decodePoint(spec, encodePoint(spec, x, order), order)).toBe(x);
        }),
        settings(2000),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'float32: the decoded value survives encode and decode again, in every order and scale',
    () => {
      fc.assert(
        fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), scaleArb, orderArb, orderArb, (f, scale, byteOrder, wordOrder) => {
          const spec = point({ type: 'float32', address: 0, scale });
          const order = { byteOrder, wordOrder };
          const view = new DataView(new ArrayBuffer(4));
          view.setFloat32(0, f);
          const x = decodePoint(spec, referenceWords(view.getUint32(0), 2, byteOrder, wordOrder), order);
          expect(typeof x).toBe('number');
          if (scale === 1 && Math.abs(f) >= 1) expect(Math.abs((x as number) - f)).toBeLessThanOrEqual(5e-7 + Math.abs(f) * 1e-15);
          expect(decodePoint(spec, encodePoint(spec, x as number, order), order)).toBe(x);
        }),
        settings(2000),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'bits and enum points decode every 16-bit word, and encode their own decoding back to it',
    () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffff }), orderArb, (raw, byteOrder) => {
          const order = { byteOrder, wordOrder: 'big' as const };
          const words = referenceWords(raw, 1, byteOrder, 'big');
          const all = Object.fromEntries(Array.from({ length: 16 }, (_, b) => [`b${b}`, b]));
          const flags = decodePoint(point({ type: 'bits', address: 0, bits: all }), words, order) as Record<string, boolean>;
          for (let b = 0; b < 16; b++) expect(flags[`b${b}`]).toBe(((raw >> b) & 1) === 1);
          expect(encodePoint(point({ type: 'bits', address: 0, bits: all }), flags, order)).toEqual(words);
          const labels = point({ type: 'enum', address: 0, values: { '0': 'zero', '7': 'seven', '65535': 'max' } });
          const label = decodePoint(labels, words, order);
          expect(label).toBe(raw === 0 ? 'zero' : raw === 7 ? 'seven' : raw === 0xffff ? 'max' : raw);
          expect(encodePoint(labels, label as string | number, order)).toEqual(words);
        }),
        settings(2000),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/* Read planning */

const isBitTable = (t: string): boolean => t === 'coil' || t === 'discrete';

const placedArb = (maxAddress: number): fc.Arbitrary<PlacedPoint> =>
  fc
    .record({
      table: fc.constantFrom(...TABLES),
      address: fc.integer({ min: 0, max: maxAddress }),
      wide: fc.boolean(),
    })
    .map(({ table, address, wide }, ) => {
      const type = isBitTable(table) ? 'bool' : wide ? 'int32' : 'uint16';
      const spec = point({ table, address, type });
      return { path: [`p${table}${address}${type}`], spec, address, length: isBitTable(table) ? 1 : registerCount(type) };
    });

/** The largest run of addresses inside [start, end) that no point covers. */
function largestHole(points: readonly PlacedPoint[], start: number, end: number): number {
  const covered = new Uint8Array(end - start);
  for (const p of points) for (let a = p.address; a < p.address + p.length; a++) covered[a - start] = 1;
  let run = 0;
  let worst = 0;
  for (const c of covered) {
    run = c ? 0 : run + 1;
    worst = Math.max(worst, run);
  }
  return worst;
}

/** Whether one read of these points (one table) is allowed: span within maxSpan, no hole over maxGap. */
function validBlock(points: readonly PlacedPoint[], maxSpan: number, maxGap: number): boolean {
  const start = Math.min(...points.map((p) => p.address));
  const end = Math.max(...points.map((p) => p.address + p.length));
  return end - start <= maxSpan && largestHole(points, start, end) <= maxGap;
}

/** Brute force: the fewest allowed reads that cover every point (subset DP over partitions). */
function fewestBlocks(points: readonly PlacedPoint[], maxSpan: number, maxGap: number): number {
  const n = points.length;
  const full = (1 << n) - 1;
  const ok = new Array<boolean>(full + 1).fill(false);
  for (let m = 1; m <= full; m++) ok[m] = validBlock(points.filter((_, i) => (m >> i) & 1), maxSpan, maxGap);
  const best = new Array<number>(full + 1).fill(Infinity);
  best[0] = 0;
  for (let m = 1; m <= full; m++) {
    const low = m & -m;
    for (let sub = m; sub > 0; sub = (sub - 1) & m) {
      if (sub & low && ok[sub]) best[m] = Math.min(best[m] ?? Infinity, 1 + (best[m ^ sub] ?? Infinity));
    }
  }
  return best[full] ?? Infinity;
}

function checkPlan(points: readonly PlacedPoint[], blocks: readonly ReadBlock[], limits: PlanLimits): void {
  const seen = new Map<PlacedPoint, number>();
  for (const block of blocks) {
    const maxSpan = isBitTable(block.table) ? (limits.maxBits ?? 2000) : limits.maxRegisters;
    expect(block.count).toBeGreaterThanOrEqual(1);
    expect(block.count).toBeLessThanOrEqual(maxSpan);
    expect(block.start).toBe(Math.min(...block.points.map((p) => p.address)));
    expect(block.start + block.count).toBe(Math.max(...block.points.map((p) => p.address + p.length)));
    expect(largestHole(block.points, block.start, block.start + block.count)).toBeLessThanOrEqual(limits.maxGap);
    for (const p of block.points) {
      expect(p.spec.table).toBe(block.table);
      seen.set(p, (seen.get(p) ?? 0) + 1);
    }
  }
  // Every point exactly once.
  expect(seen.size).toBe(points.length);
  for (const p of points) expect(seen.get(p)).toBe(1);
}

describe('read plans', () => {
  it(
    'cover every point exactly once, within 125 registers / 2000 bits and the gap, with the fewest reads (vs brute force)',
    () => {
      fc.assert(
        fc.property(
          fc.array(placedArb(40), { minLength: 1, maxLength: 7 }),
          fc.integer({ min: 0, max: 6 }),
          fc.integer({ min: 2, max: 12 }),
          fc.integer({ min: 1, max: 12 }),
          (points, maxGap, maxRegisters, maxBits) => {
            const limits = { maxGap, maxRegisters, maxBits };
            const blocks = planReads(points, limits);
            checkPlan(points, blocks, limits);
            let fewest = 0;
            for (const table of TABLES) {
              const own = points.filter((p) => p.spec.table === table);
              if (own.length > 0) fewest += fewestBlocks(own, isBitTable(table) ? maxBits : maxRegisters, maxGap);
            }
            expect(blocks.length).toBe(fewest);
          },
        ),
        settings(1500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'large point sets at the protocol limits: every point once, never over 125 registers or 2000 bits',
    () => {
      fc.assert(
        fc.property(fc.array(placedArb(65_000), { maxLength: 300 }), fc.integer({ min: 0, max: 124 }), (points, maxGap) => {
          const limits = { maxGap, maxRegisters: 125 };
          checkPlan(points, planReads(points, limits), limits);
        }),
        settings(200),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/* Decoding arbitrary register data through any profile */

const nameArb = fc.constantFrom('a', 'b', 'count', 'temp', 'state', 'flags', 'x1', 'Y_2');

const pointFieldsArb = fc
  .record({
    table: fc.constantFrom(...TABLES),
    address: fc.integer({ min: 0, max: 300 }),
    type: fc.constantFrom(...POINT_TYPES),
    // Any finite scale the profile schema admits (0 is refused there: it would read every value as 0).
    scale: fc.oneof(scaleArb, fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => v !== 0)),
    byteOrder: fc.option(orderArb, { nil: undefined }),
    wordOrder: fc.option(orderArb, { nil: undefined }),
  })
  .map((p) => {
    const bitTable = isBitTable(p.table);
    const type = bitTable ? 'bool' : p.type === 'bool' ? 'uint16' : p.type;
    return {
      table: p.table,
      address: p.address,
      type,
      scale: p.scale,
      ...(p.byteOrder ? { byteOrder: p.byteOrder } : {}),
      ...(p.wordOrder ? { wordOrder: p.wordOrder } : {}),
      ...(type === 'bits' ? { bits: { low: 0, high: 15, mid: 7 } } : {}),
      ...(type === 'enum' ? { values: { '0': 'off', '1': 'on', '007': 'never', '65535': 7 } } : {}),
    };
  });

const profileArb: fc.Arbitrary<Profile> = fc
  .record({
    points: fc.dictionary(nameArb, pointFieldsArb, { maxKeys: 5 }),
    groups: fc.dictionary(
      fc.constantFrom('slots', 'zones'),
      fc.record({
        count: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant('count')),
        maxCount: fc.integer({ min: 1, max: 20 }),
        base: fc.integer({ min: 0, max: 1000 }),
        stride: fc.integer({ min: 1, max: 12 }),
        points: fc.dictionary(nameArb, pointFieldsArb, { minKeys: 1, maxKeys: 4 }),
      }),
      { maxKeys: 2 },
    ),
    maxGap: fc.integer({ min: 0, max: 124 }),
    maxBlock: fc.integer({ min: 2, max: 125 }),
    byteOrder: orderArb,
    wordOrder: orderArb,
  })
  .map((raw) => {
    const points = { count: { address: 999, type: 'uint16' }, ...raw.points };
    return profileSchema.parse({ id: 'fuzz', kind: 'battery-cabinet', vendor: 'fuzz', model: 'FZ', ...raw, points });
  });

/** Words as a broken link or a buggy library might hand them over: any number, booleans, holes. */
const rawWordArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
);

function decodeAll(profile: Profile, blockData: (blocks: readonly ReadBlock[]) => BlockData[]): PointValue {
  // As the driver does: a first read with no group instances, then the counts the device reports.
  const first = planReads(placePoints(profile, {}), { maxGap: profile.maxGap, maxRegisters: profile.maxBlock });
  const points = compileBlocksDecoder(profile, first)(blockData(first));
  const plan = planReads(placePoints(profile, groupCounts(profile, points)), { maxGap: profile.maxGap, maxRegisters: profile.maxBlock });
  return compileBlocksDecoder(profile, plan)(blockData(plan));
}

function checkValue(v: PointValue): void {
  // Whatever the data, a decoded value is something the state publisher can serialise.
  expect(() => JSON.stringify(v)).not.toThrow();
}

describe('decoding arbitrary register data', () => {
  it(
    'never throws, for generated profiles and data of any length and content',
    () => {
      fc.assert(
        fc.property(profileArb, fc.array(fc.array(rawWordArb, { maxLength: 140 }), { maxLength: 12 }), (profile, data) => {
          checkValue(decodeAll(profile, () => data as BlockData[]));
        }),
        settings(400),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  const shipped = readdirSync(builtinProfilesDir()).filter((f) => f.endsWith('.yaml'));

  it.each(shipped)(
    'never throws for the shipped profile %s, and with full-length data every point is present',
    (file) => {
      const { profile, problems } = loadProfileFile(join(builtinProfilesDir(), file));
      expect(problems).toEqual([]);
      if (!profile) return;
      fc.assert(
        fc.property(fc.array(rawWordArb, { maxLength: 4000 }), fc.boolean(), (pool, fullLength) => {
          let next = 0;
          const take = (n: number): number[] => Array.from({ length: n }, () => (pool.length === 0 ? 0 : (pool[next++ % pool.length] as number)));
          const decoded = decodeAll(profile, (blocks) => blocks.map((b) => (fullLength ? take(b.count) : take(next % (b.count + 1)))));
          checkValue(decoded);
          if (fullLength) for (const name of Object.keys(profile.points)) expect(decoded).toHaveProperty([name]);
        }),
        settings(150),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
