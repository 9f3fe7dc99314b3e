import { registerCount, type CommandSpec, type PointSpec, type Profile } from './profile-schema.js';
import { compileExpression, type CompiledExpression } from './command-expression.js';

/** What a command writes: the caller's value, a fixed value, or an expression of slot, index and value. */
export type CommandValue = { kind: 'caller' } | { kind: 'fixed'; value: boolean | number } | { kind: 'expression'; text: string; evaluate: CompiledExpression };

/**
 * Where and how a profile command writes, resolved once: a command that names a point takes the
 * point's table, address, type, scale and orders; one that gives its own is read as a point of
 * that shape, so writes go through the same codec as reads. Instance i of a grouped command is at
 * `address + stride × i` (stride defaults to the value's width, so 32-bit targets do not overlap).
 */
export interface CommandTarget {
  name: string;
  table: 'coil' | 'holding';
  /** Address of instance 0. */
  address: number;
  /** The value's encoding, as a point spec for the register codec. */
  spec: PointSpec;
  /** Registers (or bits) one write takes. */
  width: number;
  /** The group whose instances the command addresses, if any. */
  group: string | undefined;
  stride: number;
  /** With a group: the most instances it can have (its maxCount), so no index writes past them. */
  maxInstances: number | undefined;
  /** The point it writes through, if it names one. */
  point: string | undefined;
  value: CommandValue;
  /** With a pulse: what is written after it, `pulseMs` later. */
  pulse: { ms: number; release: CommandValue } | undefined;
  command: CommandSpec;
}

export function commandTarget(profile: Profile, name: string): CommandTarget | undefined {
  const command = profile.commands[name];
  if (!command) return undefined;
  const point = command.point !== undefined ? profile.points[command.point] : undefined;
  const table = (point?.table ?? command.table ?? 'holding') as 'coil' | 'holding';
  const spec: PointSpec = point ?? {
    table,
    address: command.address ?? 0,
    type: command.type ?? (table === 'coil' ? 'bool' : 'uint16'),
    scale: command.scale ?? 1,
    writable: true,
    byteOrder: command.byteOrder,
    wordOrder: command.wordOrder,
  };
  const width = table === 'coil' ? 1 : registerCount(spec.type);
  const group = command.group !== undefined ? profile.groups[command.group] : undefined;
  return {
    name,
    table,
    address: spec.address,
    spec,
    width,
    group: command.group,
    stride: command.stride ?? width,
    maxInstances: group?.maxCount,
    point: command.point,
    value: commandValue(command.value),
    pulse: command.pulseMs !== undefined ? { ms: command.pulseMs, release: commandValue(command.release ?? (table === 'coil' ? false : 0)) } : undefined,
    command,
  };
}

/** The address instance `index` of the command writes (0 for a command without a group). */
export function instanceAddress(target: CommandTarget, index: number): number {
  return target.address + (target.group !== undefined ? target.stride * index : 0);
}

function commandValue(value: CommandSpec['value']): CommandValue {
  if (value === undefined) return { kind: 'caller' };
  // The schema has already refused an expression that does not parse; this throws only for a
  // profile built in code without it.
  if (typeof value === 'string') return { kind: 'expression', text: value, evaluate: compileExpression(value) };
  return { kind: 'fixed', value };
}
