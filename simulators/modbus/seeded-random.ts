/** A uniform draw in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a tiny 32-bit PRNG. Good enough for believable device noise, and seeded so that a
 * bench run or a test sees the same sequence every time (Math.random cannot be seeded).
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
