import fc from 'fast-check';

/*
 * Shared settings of the property tests. Budgets are small so that `npm test` stays quick on a
 * busy two-core box; a longer hunt scales them (FC_RUNS=10 runs ten times as many cases).
 * A failure prints its seed and shrunk counterexample; FC_SEED=<seed> (and FC_PATH=<path>, both
 * printed by fast-check) replays exactly that case.
 */

const scale = Number(process.env['FC_RUNS'] ?? '1');
const seed = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const path = process.env['FC_PATH'];

/** Per-property ceiling: a property that has not finished by then fails rather than hangs the suite. */
const TIME_LIMIT_MS = 20_000;

/** Vitest's timeout for one property test: above the fast-check limit so fast-check reports first. */
export const PROPERTY_TIMEOUT_MS = Math.max(30_000, TIME_LIMIT_MS * Math.max(1, scale) + 10_000);

export function settings<Ts>(numRuns: number, extra: Partial<fc.Parameters<Ts>> = {}): fc.Parameters<Ts> {
  return {
    numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    interruptAfterTimeLimit: TIME_LIMIT_MS * Math.max(1, scale),
    markInterruptAsFailure: true,
    ...(seed !== undefined && Number.isFinite(seed) ? { seed } : {}),
    ...(path !== undefined ? { path } : {}),
    ...extra,
  };
}

/** Arbitrary bytes, biased toward the ones parsers branch on (line ends, `*`, digits, spaces). */
export const wireBytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
        { weight: 3, arbitrary: fc.constantFrom(0x0d, 0x0a, 0x2a, 0x20, 0x30, 0x31, 0x39, 0x41, 0x46) },
      ),
      { maxLength },
    )
    .map((a) => Uint8Array.from(a));

/** Cuts `bytes` into consecutive chunks at the given (arbitrary) positions. */
export function chunk(bytes: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) out.push(Buffer.from(bytes.subarray(at, p)));
    at = Math.max(at, p);
  }
  return out;
}
