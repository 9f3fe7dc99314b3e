import type { CommandRoleSpec } from './role-catalogue.js';
import { compileExpression, ExpressionError } from './command-expression.js';
import { commandTarget, type CommandTarget } from './command-target.js';
import { didYouMean } from './nearest-name.js';
import type { Findings } from './profile-findings.js';
import type { Profile, RoleBinding } from './profile-schema.js';

/*
 * Whether the command a command role names can be written the way the station logic writes it:
 * once per slot for a per-slot role (so each slot's write must differ, by its address or by its
 * value), with the caller's on/off for a role that takes one (so off is not the same write as
 * on), and with every value it can produce inside what its register type holds, for every slot
 * the group can have. A write that fails at 2 a.m. leaves a rider at a closed door; one that
 * goes to the wrong door hands a battery out.
 */

const RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
};

// `a uint16` but `an int16`, `an enum`, `an id`.
const an = (w: string): string => (/^[aeio]/.test(w) ? `an ${w}` : `a ${w}`);
const usesSlot = (v: unknown): boolean => typeof v === 'string' && /\b(slot|index)\b/.test(v);
const usesValue = (v: unknown): boolean => typeof v === 'string' && /\bvalue\b/.test(v);
const loses = (label: string, spec: CommandRoleSpec): string => `; the station would lose ${label}: ${spec.use}`;

export function commandEncodingProblems(out: Findings, profile: Profile, path: string[], binding: RoleBinding, spec: CommandRoleSpec, label: string, slotGroup: string | undefined): void {
  const lose = loses(label, spec);
  const name = commandName(out, path, binding, label, lose);
  if (name === undefined) return;
  const target = commandTarget(profile, name);
  if (!target) {
    const point = profile.points[name];
    const hint = point
      ? `"${name}" is a point, not a command: commands: { ${name}: { point: ${name} } } writes through it${point.writable ? '' : ', once the point is marked writable: true'}`
      : `no command named "${name}"${didYouMean(name, Object.keys(profile.commands))}`;
    out.problem(path, `${hint}${lose}`);
    return;
  }
  const cmd = target.command;
  const perSlot = target.group !== undefined || usesSlot(cmd.value) || usesSlot(cmd.release);
  if (spec.scope === 'slot' && !perSlot) {
    out.problem(path, `${name} writes the same ${target.table} ${target.address} the same way for every slot, so one slot's write would act on another's: give it group: ${slotGroup ?? 'slots'} (one target per slot), or a value that is an expression of slot or index${lose}`);
    return;
  }
  if (spec.scope === 'slot' && target.group !== undefined && slotGroup !== undefined && target.group !== slotGroup) {
    out.problem(path, `${name} writes per instance of group ${target.group}, but the slots are group ${slotGroup}: slot i would be written at ${target.group}'s instance i${lose}`);
  }
  if (spec.scope === 'device' && perSlot) {
    out.problem(path, `${name} is written per slot (${target.group !== undefined ? `group ${target.group}` : 'an expression of slot or index'}), and ${label} is written once for the whole device: it would reach slot 1's target only${lose}`);
    return;
  }
  if (spec.takes === 'flag' && cmd.value !== undefined && !usesValue(cmd.value)) {
    out.problem(path, `${label} switches on and off, but ${name} always writes ${JSON.stringify(cmd.value)}: off would be the same write as on (leave value out to write the caller's, or use value in its expression)${lose}`);
    return;
  }
  const group = target.group ?? (usesSlot(cmd.value) || usesSlot(cmd.release) ? slotGroup : undefined);
  const g = group !== undefined ? profile.groups[group] : undefined;
  const instances = g ? (typeof g.count === 'number' ? Math.min(g.count, g.maxCount) : g.maxCount) : 1;
  const callerValues = spec.takes === 'flag' ? [1, 0] : [1];
  for (const key of ['value', 'release'] as const) {
    if (key === 'release' && cmd.pulseMs === undefined) continue;
    const problem = encodingProblem(target, key === 'value' ? cmd.value : (cmd.release ?? 0), instances, key === 'release' ? [0] : callerValues);
    if (problem) out.problem(path, `${name}'s ${key} ${problem}${lose}`);
  }
}

/** The command a binding names: a string, or `{ command: NAME }` and nothing else. */
function commandName(out: Findings, path: string[], binding: RoleBinding, label: string, lose: string): string | undefined {
  if (typeof binding === 'string') return binding;
  const extra = Object.entries(binding).filter(([k, v]) => k !== 'command' && v !== undefined).map(([k]) => k);
  if (binding.command === undefined) {
    out.problem(path, `${label} is a command role: bind a command of commands: by name (${label}: NAME or { command: NAME }), not ${extra.join(', ') || 'nothing'}${lose}`);
    return undefined;
  }
  if (extra.length > 0) out.problem(path, `${label} is a command role: ${extra.join(', ')} would not be read (the command says how it is written)${lose}`);
  return binding.command;
}

/** What is wrong with the values `value` produces, for every slot and caller's value, or undefined. */
function encodingProblem(target: CommandTarget, value: boolean | number | string | undefined, instances: number, callerValues: number[]): string | undefined {
  let compiled: ((slot: number, v: number) => number) | undefined;
  if (typeof value === 'string') {
    try {
      const f = compileExpression(value);
      compiled = (slot, v) => f({ slot, index: slot - 1, value: v });
    } catch (err) {
      if (err instanceof ExpressionError) return `"${value}" is not an expression of slot, index and value: ${err.message}`;
      throw err;
    }
  }
  for (let slot = 1; slot <= instances; slot++) {
    for (const v of callerValues) {
      let n: number;
      try {
        n = compiled ? compiled(slot, v) : value === undefined ? v : typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
      } catch (err) {
        if (err instanceof ExpressionError) return `"${String(value)}" cannot be computed for slot ${slot}: ${err.message}`;
        throw err;
      }
      const wrong = unencodable(target, n);
      const forWhom = compiled ? ` for slot ${slot}${callerValues.length > 1 ? ` and value ${v}` : ''}` : '';
      if (wrong) return `is ${n}${forWhom}, ${wrong}`;
    }
  }
  return undefined;
}

function unencodable(target: CommandTarget, n: number): string | undefined {
  if (target.table === 'coil') return n === 0 || n === 1 ? undefined : 'and a coil takes 0 or 1 (false or true)';
  const type = target.spec.type;
  const range = RANGE[type];
  if (!range) return `and ${an(type)} point cannot be written as a value`;
  const raw = n / target.spec.scale;
  const integer = type !== 'float32';
  if (integer && Math.abs(raw - Math.round(raw)) > 1e-9 * Math.max(1, Math.abs(raw))) {
    return `which is ${raw} in the register (value / scale ${target.spec.scale}), and ${an(type)} holds whole numbers only`;
  }
  const r = integer ? Math.round(raw) : raw;
  if (r < range[0] || r > range[1]) return `${target.spec.scale !== 1 ? `${r} in the register (value / scale ${target.spec.scale}), ` : ''}out of the range of ${an(type)} (${range[0]} to ${range[1]})`;
  return undefined;
}
