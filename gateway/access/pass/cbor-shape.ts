/**
 * Reading decoded CBOR (strict-cbor.ts) into typed values, one field at a time. Every mismatch
 * is a ShapeError naming where it is, which the callers turn into the contract's BAD_TOKEN.
 */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

export function asArray(value: unknown, what: string, length?: number): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(`${what} is not an array`);
  if (length !== undefined && value.length !== length) throw new ShapeError(`${what} has ${value.length} elements, not ${length}`);
  return value;
}

/** A map whose keys are all integers among `allowed`: a key this format does not define is refused, not skipped. */
export function asIntMap(value: unknown, what: string, allowed: readonly number[]): Map<number, unknown> {
  if (!(value instanceof Map)) throw new ShapeError(`${what} is not a map`);
  for (const key of value.keys()) {
    if (typeof key !== 'number' || !allowed.includes(key)) throw new ShapeError(`${what} has key ${String(key)}, which this format does not define`);
  }
  return value as Map<number, unknown>;
}

export function asBytes(value: unknown, what: string, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ShapeError(`${what} is not a byte string`);
  if (value.length < min || value.length > max) throw new ShapeError(`${what} is ${value.length} bytes, not ${min === max ? min : `${min}..${max}`}`);
  return value;
}

export function asText(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== 'string') throw new ShapeError(`${what} is not a text string`);
  if (value.length < min || value.length > max) throw new ShapeError(`${what} is ${value.length} characters, not ${min}..${max}`);
  return value;
}

/** A whole number in 0..2^53−1 (strict-cbor refuses larger ones; floats fail here). */
export function asUint(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ShapeError(`${what} is not an unsigned integer`);
  return value;
}

export function asIndex<T>(value: unknown, what: string, table: readonly T[]): T {
  const i = asUint(value, what);
  const found = table[i];
  if (found === undefined) throw new ShapeError(`${what} ${i} is not defined`);
  return found;
}
