import type { Profile } from '../../config/profile-schema.js';
import type { PointValue, Points } from '../device-state.js';
import type { ReadBlock } from './read-plan.js';
import { compilePointDecoder } from './register-codec.js';

/** The data one block read returned: registers (16-bit words) or bits. */
export type BlockData = readonly number[] | readonly boolean[];

/** Turns the data of one poll's block reads into the nested points a device publishes (`slots[3].soc`). */
export type BlocksDecoder = (data: readonly BlockData[]) => Points;

/**
 * The decoder of a read plan, built once per plan: every point's offset, decoder and place in the
 * output resolved, so a poll only decodes and assigns. Containers (`slots`, `slots[3]`) are made
 * when their first point is decoded, which keeps the order of keys that of the plan.
 */
export function compileBlocksDecoder(profile: Profile, blocks: readonly ReadBlock[]): BlocksDecoder {
  const defaults = { byteOrder: profile.byteOrder, wordOrder: profile.wordOrder };
  const containers = new ContainerTable();
  const steps = blocks.flatMap((block, b) =>
    block.points.map((p) => ({
      block: b,
      offset: p.address - block.start,
      container: containers.indexOf(p.path.slice(0, -1)),
      key: p.path[p.path.length - 1] as string | number,
      decode: compilePointDecoder(p.spec, defaults),
    })),
  );
  return (data) => {
    const made = containers.start();
    for (const s of steps) made(s.container)[s.key] = s.decode(data[s.block] ?? [], s.offset);
    return made(0) as Points;
  };
}

type Container = Record<string | number, PointValue>;

/** The nested objects and arrays points are published in, each known by an index; 0 is the root. */
class ContainerTable {
  private readonly specs: Array<{ parent: number; key: string | number; array: boolean }> = [{ parent: -1, key: '', array: false }];
  private readonly byPath = new Map<string, number>([['', 0]]);

  indexOf(path: readonly (string | number)[]): number {
    let index = 0;
    for (let i = 0; i < path.length; i++) {
      const id = JSON.stringify(path.slice(0, i + 1));
      let next = this.byPath.get(id);
      if (next === undefined) {
        next = this.specs.push({ parent: index, key: path[i] as string | number, array: typeof path[i + 1] === 'number' }) - 1;
        this.byPath.set(id, next);
      }
      index = next;
    }
    return index;
  }

  /** A fresh set of containers for one decode, each made and attached to its parent on first use. */
  start(): (index: number) => Container {
    const made: Array<Container | undefined> = new Array(this.specs.length);
    const get = (index: number): Container => {
      let c = made[index];
      if (c === undefined) {
        const spec = this.specs[index]!;
        c = spec.array ? ([] as unknown as Container) : {};
        made[index] = c;
        if (spec.parent >= 0) get(spec.parent)[spec.key] = c as PointValue;
      }
      return c;
    };
    return get;
  }
}
