import { resolveBinding } from './role-binding.js';
import type { PointSpec, Profile, RoleBinding, RoleBindingObject, SlotRoles } from '../../config/profile-schema.js';
import type { PointValue } from '../device-state.js';

/*
 * A profile's `roles`, compiled once into plain reader functions over the points a poll
 * decoded. Each reader has its point names, bit, value sets, scale and offset resolved when the
 * profile is compiled, so reading a 24-slot cabinet costs lookups and comparisons only.
 *
 * The semantics are the binding rules every part of the gateway shares (docs/device-roles.md):
 * a missing point reads undefined, never a made-up 0; a state mapped to nothing reads `unknown`.
 */

/** One level of decoded points: the device-wide points, or one instance of a group (`slots[i]`). */
export type PointRecord = Readonly<Record<string, PointValue | undefined>>;

export type FlagReader = (points: PointRecord) => boolean | undefined;
export type NumberReader = (points: PointRecord) => number | undefined;
/** A canonical state from the role's map, or `unknown` for a value mapped to nothing (or missing). */
export type StateReader = (points: PointRecord) => string;
export type IdReader = (points: PointRecord) => string | undefined;
/** The names of the flags that are set (the bits of a bits point, or the bound flags). */
export type FlagsReader = (points: PointRecord) => string[];

/** Readers of the roles of one scope (device-wide, or per instance of the slot group). */
export interface RoleReaders {
  bound(role: string): boolean;
  flag(role: string): FlagReader | undefined;
  number(role: string): NumberReader | undefined;
  state(role: string): StateReader | undefined;
  /** An identifier: a number (0 is none) or a string ('' is none), as a string. */
  id(role: string): IdReader | undefined;
  /** A pack type: a number n reads `${n}V`, a label as it is; 0 and '' are none. */
  packType(role: string): IdReader | undefined;
  flags(role: string): FlagsReader | undefined;
}

export interface CompiledRoles {
  device: RoleReaders;
  /** The per-slot roles and the group whose instances they read; undefined when the profile binds none. */
  slots: { group: string; readers: RoleReaders } | undefined;
  /** The profile command a command role is bound to, or undefined when the role is unbound. */
  command(role: string): string | undefined;
}

/** The key of `roles` that holds per-slot bindings (role-catalogue: instances.role). */
export const SLOT_ROLES_KEY = 'slots';

export function compileProfileRoles(profile: Profile): CompiledRoles {
  const device: Record<string, RoleBinding> = {};
  let slotRoles: SlotRoles | undefined;
  for (const [role, binding] of Object.entries(profile.roles)) {
    if (isSlotRoles(binding)) {
      if (role === SLOT_ROLES_KEY) slotRoles = binding;
    } else device[role] = binding;
  }
  const slots = slotRoles
    ? (() => {
        const { group, ...bindings } = slotRoles;
        return { group, readers: roleReaders(bindings as Record<string, RoleBinding>, profile.groups[group]?.points ?? {}) };
      })()
    : undefined;
  return {
    device: roleReaders(device, profile.points),
    slots,
    command(role) {
      const binding = device[role];
      if (binding === undefined) return undefined;
      const name = typeof binding === 'string' ? binding : binding.command;
      return name !== undefined && Object.hasOwn(profile.commands, name) ? name : undefined;
    },
  };
}

function isSlotRoles(binding: SlotRoles | RoleBinding): binding is SlotRoles {
  return typeof binding === 'object' && 'group' in binding && typeof binding.group === 'string';
}

/** One point a binding reads, with the bit of a bits point when it names one. */
interface Source {
  name: string;
  bit: string | undefined;
  spec: PointSpec | undefined;
}

interface Resolved {
  sources: Source[];
  binding: RoleBindingObject;
}

function roleReaders(bindings: Record<string, RoleBinding>, specs: Record<string, PointSpec>): RoleReaders {
  const resolved = (role: string): Resolved | undefined => {
    const b = bindings[role];
    if (b === undefined) return undefined;
    const { binding, refs } = resolveBinding(b);
    if (refs.length === 0) return undefined;
    return { binding, sources: refs.map(({ name, bit }) => ({ name, bit, spec: specs[name] })) };
  };
  return {
    bound: (role) => resolved(role) !== undefined,
    flag: (role) => optional(resolved(role), flagReader),
    number: (role) => optional(resolved(role), numberReader),
    state: (role) => optional(resolved(role), stateReader),
    id: (role) => optional(resolved(role), (r) => idReader(r, (n) => String(n))),
    packType: (role) => optional(resolved(role), (r) => idReader(r, (n) => `${n}V`)),
    flags: (role) => optional(resolved(role), flagsReader),
  };
}

function optional<T>(r: Resolved | undefined, make: (r: Resolved) => T): T | undefined {
  return r === undefined ? undefined : make(r);
}

/** A point's decoded value, or one flag of a bits point; undefined when the poll did not carry it. */
function sourceValue(source: Source): (points: PointRecord) => PointValue | undefined {
  const { name, bit } = source;
  if (bit === undefined) return (points) => points[name] ?? undefined;
  return (points) => {
    const v = points[name];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v[bit] ?? undefined;
    return undefined;
  };
}

/**
 * The vendor values of `when` or of a state map as the decoder yields them. An enum point decodes
 * to its label where the raw value is mapped, so a raw number written in the profile for a mapped
 * value is also accepted as its label (it could never match otherwise).
 */
function vendorValues(values: ReadonlyArray<string | number>, spec: PointSpec | undefined): Array<string | number> {
  const out: Array<string | number> = [...values];
  if (spec?.type === 'enum' && spec.values) {
    for (const v of values) {
      const label = typeof v === 'number' ? spec.values[String(v)] : undefined;
      if (label !== undefined) out.push(label);
    }
  }
  return out;
}

function flagOf(v: PointValue | undefined, when: ReadonlySet<string | number> | undefined): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (when) return (typeof v === 'string' || typeof v === 'number') && when.has(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  // A whole bits point without a bit named: any flag set.
  if (typeof v === 'object' && !Array.isArray(v)) return Object.values(v).some((f) => f === true);
  return undefined;
}

function flagReader({ sources, binding }: Resolved): FlagReader {
  const invert = binding.invert === true;
  const readers = sources.map((s) => {
    const value = sourceValue(s);
    const when = binding.when ? new Set(vendorValues(binding.when, s.spec)) : undefined;
    return (points: PointRecord) => flagOf(value(points), when);
  });
  const one = readers[0]!;
  const read: FlagReader =
    readers.length === 1
      ? one
      : (points) => {
          // Several points: any set is set; undefined only when none was read.
          let seen = false;
          for (const r of readers) {
            const f = r(points);
            if (f === true) return true;
            if (f === false) seen = true;
          }
          return seen ? false : undefined;
        };
  return invert
    ? (points) => {
        const f = read(points);
        return f === undefined ? undefined : !f;
      }
    : read;
}

function numberReader({ sources, binding }: Resolved): NumberReader {
  const scale = binding.scale ?? 1;
  const offset = binding.offset ?? 0;
  const values = sources.map(sourceValue);
  const convert = (v: PointValue | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v * scale + offset : undefined);
  const one = values[0]!;
  if (values.length === 1) return (points) => convert(one(points));
  return (points) => {
    // Several sensors: the highest counts (the hottest cell is the one that matters).
    let max: number | undefined;
    for (const value of values) {
      const n = convert(value(points));
      if (n !== undefined && (max === undefined || n > max)) max = n;
    }
    return max;
  };
}

function stateReader({ sources, binding }: Resolved): StateReader {
  const source = sources[0]!;
  const value = sourceValue(source);
  if (!binding.map) {
    // No map: the vendor's labels are the canonical names themselves.
    return (points) => {
      const v = value(points);
      return typeof v === 'string' ? v : 'unknown';
    };
  }
  const canonical = new Map<string | number, string>();
  for (const [state, vendor] of Object.entries(binding.map)) {
    for (const v of vendorValues(vendor, source.spec)) if (!canonical.has(v)) canonical.set(v, state);
  }
  return (points) => {
    const v = value(points);
    return (typeof v === 'string' || typeof v === 'number' ? canonical.get(v) : undefined) ?? 'unknown';
  };
}

function idReader({ sources }: Resolved, ofNumber: (n: number) => string): IdReader {
  const values = sources.map(sourceValue);
  const read = (v: PointValue | undefined): string | undefined => {
    if (typeof v === 'number') return v === 0 || !Number.isFinite(v) ? undefined : ofNumber(v);
    if (typeof v === 'string') return v === '' ? undefined : v;
    return undefined;
  };
  const one = values[0]!;
  if (values.length === 1) return (points) => read(one(points));
  return (points) => {
    for (const value of values) {
      const id = read(value(points));
      if (id !== undefined) return id;
    }
    return undefined;
  };
}

function flagsReader({ sources, binding }: Resolved): FlagsReader {
  const readers = sources.map((s) => {
    const value = sourceValue(s);
    const when = binding.when ? new Set(vendorValues(binding.when, s.spec)) : undefined;
    const label = s.bit ?? s.name;
    return (points: PointRecord, out: string[]): void => {
      const v = value(points);
      if (!when && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        for (const [flag, set] of Object.entries(v)) if (set === true) out.push(flag);
      } else if (flagOf(v, when) === true) out.push(label);
    };
  });
  return (points) => {
    const out: string[] = [];
    for (const r of readers) r(points, out);
    return out;
  };
}
