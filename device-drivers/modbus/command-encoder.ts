import { DeviceError } from '../device-error.js';
import { ExpressionError } from '../../config/command-expression.js';
import { instanceAddress, type CommandTarget, type CommandValue } from '../../config/command-target.js';
import { decodePoint } from './register-codec.js';
import { EncodingError, encodePoint, type WireOrder } from './register-encoder.js';

/*
 * A profile command's value → the bit or words it puts on the wire, as a pure function: the driver
 * writes with it, validate proves a profile's commands encode, and a simulator recognises what a
 * master wrote. Registers go through the same codec as reads (register-encoder inverts
 * register-codec), with the command's or point's type, scale and orders, falling back to the
 * profile's; so what a command writes is what a read of the same spec gives back.
 */

/** What the station logic asks: its value (true/false for on/off, or a number) and the 0-based instance. */
export interface CommandCall {
  value?: boolean | number | undefined;
  index?: number | undefined;
}

/** One Modbus write: FC5 for a coil, FC6 for one register, FC16 for two. */
export type CommandWrite = { table: 'coil'; address: number; bit: boolean } | { table: 'holding'; address: number; words: number[] };

/** Everything one command puts on the wire, encoded before any of it is written. */
export interface EncodedCommand {
  write: CommandWrite;
  /** A pulse: `write`, then this `afterMs` later. */
  release?: { afterMs: number; write: CommandWrite };
}

const LAST_ADDRESS = 65535;

/**
 * The write the command makes for `call`, or DeviceError ENCODING (naming the command, the value
 * and the type) when the value, the instance or the caller's input does not fit.
 */
export function encodeCommand(target: CommandTarget, orders: WireOrder, call: CommandCall): CommandWrite {
  return encodeValue(target, orders, call, target.value, 'value');
}

/** The write and, for a pulse, its release: both encoded, so a release that cannot be written stops the pulse before it starts. */
export function encodeCommandPulse(target: CommandTarget, orders: WireOrder, call: CommandCall): EncodedCommand {
  const write = encodeCommand(target, orders, call);
  if (!target.pulse) return { write };
  return { write, release: { afterMs: target.pulse.ms, write: encodeValue(target, orders, call, target.pulse.release, 'release') } };
}

/** What a master's write of the command's width means, through the read codec: a number, or a bool for a coil. */
export function decodeCommandWrite(target: CommandTarget, orders: WireOrder, words: readonly number[]): number | boolean {
  if (target.table === 'coil') return (words[0] ?? 0) !== 0;
  const v = decodePoint(target.spec, words.slice(0, target.width), orders);
  return typeof v === 'number' ? v : Number(v === true);
}

/**
 * The calls (instance and caller value) that would have produced `write`, among `count` instances
 * and the caller values given: how a simulator tells which door a slot-number register opens.
 */
export function findCommandCalls(
  target: CommandTarget,
  orders: WireOrder,
  write: CommandWrite,
  count: number,
  callerValues: ReadonlyArray<boolean | number> = [true, false],
): Array<{ index: number; value: boolean | number; release: boolean }> {
  const found: Array<{ index: number; value: boolean | number; release: boolean }> = [];
  // Only what the command reads tells calls apart: "slot + 0x100" is the same write for any value.
  const reads = (v: 'slot' | 'index' | 'value'): boolean => [target.value, target.pulse?.release].some((s) => s?.kind === 'expression' && s.evaluate.variables.has(v));
  const byValue = target.value.kind === 'caller' || target.pulse?.release.kind === 'caller' || reads('value');
  const byIndex = target.group !== undefined || reads('slot') || reads('index');
  for (let index = 0; index < (byIndex ? count : Math.min(count, 1)); index++) {
    for (const value of byValue ? callerValues : callerValues.slice(0, 1)) {
      let encoded: EncodedCommand;
      try {
        encoded = encodeCommandPulse(target, orders, { value, index });
      } catch {
        continue;
      }
      if (sameWrite(encoded.write, write)) found.push({ index, value, release: false });
      else if (encoded.release && sameWrite(encoded.release.write, write)) found.push({ index, value, release: true });
    }
  }
  return found;
}

function sameWrite(a: CommandWrite, b: CommandWrite): boolean {
  if (a.address !== b.address || a.table !== b.table) return false;
  if (a.table === 'coil' || b.table === 'coil') return a.table === 'coil' && b.table === 'coil' && a.bit === b.bit;
  return a.words.length === b.words.length && a.words.every((w, i) => w === b.words[i]);
}

function encodeValue(target: CommandTarget, orders: WireOrder, call: CommandCall, source: CommandValue, what: 'value' | 'release'): CommandWrite {
  const { name, spec } = target;
  const type = target.table === 'coil' ? 'coil' : spec.type;
  if (target.point !== undefined && !spec.writable) refuse(target, `point "${target.point}" is not writable`, call);
  const index = instanceOf(target, call, source);
  const address = instanceAddress(target, index ?? 0);
  if (address + target.width - 1 > LAST_ADDRESS) refuse(target, `instance ${index ?? 0} would write at ${address}, past the last Modbus address`, call);
  const value = resolve(target, call, index, source, what);

  if (target.table === 'coil') {
    if (typeof value === 'number' && !Number.isFinite(value)) refuse(target, `${what} ${value} is not a number a coil can take`, call);
    return { table: 'coil', address, bit: typeof value === 'boolean' ? value : value !== 0 };
  }
  try {
    return { table: 'holding', address, words: encodePoint(spec, typeof value === 'boolean' ? Number(value) : value, orders, { exact: true }) };
  } catch (err) {
    if (!(err instanceof EncodingError)) throw err;
    throw new DeviceError('ENCODING', `command "${name}" cannot write ${what} ${String(value)} as ${type} (scale ${spec.scale}): ${err.message}; nothing was written`, {
      command: name,
      value,
      type,
      scale: spec.scale,
    });
  }
}

/** The instance the call addresses, checked; undefined for a command that takes none. */
function instanceOf(target: CommandTarget, call: CommandCall, source: CommandValue): number | undefined {
  const needsIndex = target.group !== undefined || (source.kind === 'expression' && (source.evaluate.variables.has('slot') || source.evaluate.variables.has('index')));
  if (call.index === undefined) {
    if (needsIndex) refuse(target, 'needs an instance (the slot) and none was given', call);
    return undefined;
  }
  if (!Number.isInteger(call.index) || call.index < 0) refuse(target, `instance ${call.index} is not a whole number from 0`, call);
  if (target.maxInstances !== undefined && call.index >= target.maxInstances) {
    refuse(target, `instance ${call.index} is past the ${target.maxInstances} instances of group ${target.group ?? ''}`, call);
  }
  return call.index;
}

function resolve(target: CommandTarget, call: CommandCall, index: number | undefined, source: CommandValue, what: string): boolean | number {
  switch (source.kind) {
    case 'fixed':
      return source.value;
    case 'caller':
      if (call.value === undefined) refuse(target, `needs a ${what} and none was given`, call);
      return call.value;
    case 'expression': {
      if (source.evaluate.variables.has('value') && call.value === undefined) refuse(target, `"${source.text}" reads value and none was given`, call);
      const i = index ?? 0;
      try {
        return source.evaluate({ slot: i + 1, index: i, value: call.value === undefined ? 0 : Number(call.value) });
      } catch (err) {
        if (err instanceof ExpressionError) refuse(target, err.message, call);
        throw err;
      }
    }
  }
}

function refuse(target: CommandTarget, why: string, call: CommandCall): never {
  const type = target.table === 'coil' ? 'coil' : target.spec.type;
  throw new DeviceError('ENCODING', `command "${target.name}" (${type}, value ${String(call.value)}, instance ${String(call.index)}): ${why}; nothing was written`, {
    command: target.name,
    value: call.value,
    index: call.index,
    type,
  });
}

/**
 * Why the command cannot be written for some call a station would make, or undefined: on and off
 * (or `values`) at the first and the last of `instances` (default: the group's maxCount, or one).
 * What validate reports as "a command whose encoding cannot be written".
 */
export function commandEncodingProblem(
  target: CommandTarget,
  orders: WireOrder,
  options: { instances?: number; values?: ReadonlyArray<boolean | number> } = {},
): string | undefined {
  const n = options.instances ?? target.maxInstances ?? 1;
  const indexed = target.group !== undefined || [target.value, target.pulse?.release].some((s) => s?.kind === 'expression' && (s.evaluate.variables.has('slot') || s.evaluate.variables.has('index')));
  const indices = indexed ? [...new Set([0, Math.max(0, n - 1)])] : [undefined];
  for (const index of indices) {
    for (const value of options.values ?? [true, false]) {
      try {
        encodeCommandPulse(target, orders, { value, index });
      } catch (err) {
        if (err instanceof DeviceError && err.code === 'ENCODING') return err.message;
        throw err;
      }
    }
  }
  return undefined;
}
