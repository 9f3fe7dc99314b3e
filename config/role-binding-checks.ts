import type { RoleSpec, RoleValue } from './role-catalogue.js';
import { didYouMean } from './nearest-name.js';
import type { Findings } from './profile-findings.js';
import type { PointSpec, RoleBinding } from './profile-schema.js';

/*
 * Whether a role's binding can carry the role, by the binding semantics every part reads the same
 * way (docs/device-roles.md): a flag from a bool, one bit of a bits point, or the values of an
 * enum or number point listed in `when`; a number from a number point; a canonical state from an
 * enum's labels or a number's codes through `map`; an identifier from an integer or an enum.
 * Anything else reads, at run time, as a value that never changes or never matches.
 */

export const NUMBER_TYPES: ReadonlySet<string> = new Set(['int16', 'uint16', 'int32', 'uint32', 'float32']);
const INTEGER_TYPES: ReadonlySet<string> = new Set(['int16', 'uint16', 'int32', 'uint32']);

/** Flag roles that read a whole bits point: set when any of its flags is, and the flags are named. */
const WHOLE_BITS_FLAGS: ReadonlySet<string> = new Set(['faults']);

/** Where a role's points are looked up, and the other scope's, to say "that one is per slot". */
export interface RoleScope {
  kind: 'device' | 'slot';
  points: Record<string, PointSpec>;
  groupName?: string | undefined;
  other?: Record<string, PointSpec> | undefined;
  otherName?: string | undefined;
}

type VendorValue = string | number;

export interface NormalBinding {
  point?: string;
  points?: string[];
  bit?: string;
  /** The bit came from `point.bit` rather than `bit:`. */
  dotted?: boolean;
  /** `point: a.b` and `bit: c` both given, and they differ. */
  bitClash?: string;
  when?: VendorValue[];
  invert?: boolean;
  map?: Record<string, VendorValue[]>;
  scale?: number;
  offset?: number;
  command?: string;
}

/** The full form of a binding: `"status.smoke"` is `{ point: status, bit: smoke }`. */
export function normaliseBinding(binding: RoleBinding): NormalBinding {
  const full: NormalBinding = typeof binding === 'string' ? { point: binding } : { ...stripUndefined(binding) };
  if (full.point?.includes('.')) {
    const [point, bit] = full.point.split('.') as [string, string];
    if (full.bit !== undefined && full.bit !== bit) full.bitClash = full.bit;
    full.point = point;
    full.bit = bit;
    full.dotted = true;
  }
  return full;
}

/** The object without its undefined keys, typed so: optional keys stay optional but never hold undefined. */
function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

const OPTION_FOR: ReadonlyArray<[keyof NormalBinding, RoleValue]> = [
  ['when', 'flag'],
  ['invert', 'flag'],
  ['map', 'state'],
  ['scale', 'number'],
  ['offset', 'number'],
  ['points', 'number'],
];

// `a uint16` but `an int16`, `an enum`, `an id`.
const an = (w: string): string => (/^[aeio]/.test(w) ? `an ${w}` : `a ${w}`);
const loses = (label: string, spec: RoleSpec): string => `; the station would lose ${label}: ${spec.use}`;

/** One binding under check: where it is, the role it must carry, and what the station would lose. */
interface Check {
  out: Findings;
  path: string[];
  spec: RoleSpec;
  label: string;
  lose: string;
  scope: RoleScope;
}

/** Reports what keeps `binding` from carrying `spec` to `out`, at `path` and below it. */
export function bindingProblems(out: Findings, path: string[], b: NormalBinding, spec: RoleSpec, label: string, scope: RoleScope): void {
  const lose = loses(label, spec);
  const c: Check = { out, path, spec, label, lose, scope };
  if (b.command !== undefined) out.problem([...path, 'command'], `${label} reads a point; command binds command roles (openSlotDoor, setCharging, ...)${lose}`);
  for (const [key, value] of OPTION_FOR) {
    if (b[key] !== undefined && spec.value !== value) out.problem([...path, key], `${key} is for ${value} roles, and ${label} is ${an(spec.value)} role: the station would not read it${lose}`);
  }
  if (b.bitClash !== undefined) out.problem([...path, 'bit'], `point names bit ${b.bit ?? ''} and bit says ${b.bitClash}: give the bit once${lose}`);
  if (b.point !== undefined && b.points !== undefined) out.problem(path, `give point or points, not both${lose}`);
  const refs = b.points ?? (b.point !== undefined ? [b.point] : []);
  if (refs.length === 0) {
    out.problem(path, `${label} binds no point${lose}`);
    return;
  }
  refs.forEach((ref, i) => {
    const at = b.points ? [...path, 'points', i] : path;
    // Entries of points may carry a bit too (`points: [a.b]`); the single form was split already.
    const [name, bitOfRef] = b.points ? (ref.split('.') as [string, string | undefined]) : [ref, b.bit];
    const point = resolvePoint(c, at, name);
    if (!point) return;
    pointFits(c, at, name, point, { ...b, ...(bitOfRef !== undefined ? { bit: bitOfRef, dotted: b.points ? true : (b.dotted ?? false) } : {}) });
  });
}

function resolvePoint({ out, label, lose, scope }: Check, at: Array<string | number>, name: string): PointSpec | undefined {
  const point = scope.points[name];
  if (point) return point;
  if (scope.other?.[name]) {
    const message =
      scope.kind === 'slot'
        ? `"${name}" is a device-wide point, one for the whole device; ${label} is read per slot, from a point of group ${scope.groupName ?? ''}`
        : `"${name}" is a point of group ${scope.otherName ?? ''}, one per slot; ${label} is one value for the whole device and reads a device-wide point`;
    out.problem(at, `${message}${lose}`);
    return undefined;
  }
  const where = scope.kind === 'slot' ? `group ${scope.groupName ?? ''} has no point` : 'no device-wide point';
  out.problem(at, `${where} "${name}"${didYouMean(name, Object.keys(scope.points))}${lose}`);
  return undefined;
}

function enumEntries(point: PointSpec): Array<[string, string | number]> {
  return Object.entries(point.values ?? {});
}

const matches = (v: VendorValue, raw: string, label: string | number): boolean => String(v) === String(label) || (typeof v === 'number' && String(v) === raw);
const enumText = (point: PointSpec): string => enumEntries(point).map(([raw, label]) => `${label} (${raw})`).join(', ');

function pointFits(c: Check, at: Array<string | number>, name: string, point: PointSpec, b: NormalBinding): void {
  const { out, path, spec, label, lose } = c;
  const type = point.type;
  const bitPath = b.dotted ? at : [...path, 'bit'];
  if (b.bit !== undefined) {
    if (spec.value !== 'flag') {
      out.problem(bitPath, `${name}.${b.bit} is one bit, a yes/no, and ${label} is ${an(spec.value)} role${lose}`);
      return;
    }
    if (type !== 'bits') {
      out.problem(bitPath, `bit ${b.bit}: ${name} is ${an(type)} point, not a bits point${lose}`);
      return;
    }
    const bits = Object.keys(point.bits ?? {});
    if (!bits.includes(b.bit)) out.problem(bitPath, `${name} has no bit "${b.bit}"${didYouMean(b.bit, bits)} (its bits: ${bits.join(', ')})${lose}`);
    if (b.when !== undefined) out.problem([...path, 'when'], `one bit is the flag itself: drop when (invert: true says the opposite)${lose}`);
    return;
  }
  const wrongType = (reads: string): void => out.problem(at, `${name} is ${an(type)} point, and ${label} (${spec.value}${spec.unit ? `, ${spec.unit}` : ''}) reads ${reads}${lose}`);
  switch (spec.value) {
    case 'flag':
      if (type === 'bool') {
        if (b.when !== undefined) out.problem([...path, 'when'], `${name} is a bool point, the flag itself: drop when (invert: true says the opposite)${lose}`);
      } else if (type === 'bits') {
        const bits = Object.keys(point.bits ?? {}).join(', ');
        if (!WHOLE_BITS_FLAGS.has(spec.name)) out.problem(at, `${name} is a bits point: name the bit, ${name}.<bit> (its bits: ${bits})${lose}`);
        else if (b.when !== undefined) out.problem([...path, 'when'], `${label} reads every flag of ${name}: drop when${lose}`);
      } else if (type === 'enum') {
        if (b.when === undefined) out.problem(at, `${name} is an enum (${enumText(point)}): say which values mean yes with when: [...]${lose}`);
        else whenValuesFit(c, name, point, b.when);
      } else if (b.when === undefined) {
        if (!INTEGER_TYPES.has(type)) out.problem(at, `${name} is a ${type} measurement, and "not 0" is no yes/no for it: give when: [values], or bind a bool, bits or enum point${lose}`);
      } else {
        b.when.forEach((v, i) => {
          if (typeof v !== 'number') out.problem([...path, 'when', i], `${name} is a ${type} number: when takes numbers, not "${v}"${lose}`);
        });
      }
      return;
    case 'number':
      if (!NUMBER_TYPES.has(type)) wrongType('an int16, uint16, int32, uint32 or float32 point');
      return;
    case 'id':
      if (!INTEGER_TYPES.has(type) && type !== 'enum') wrongType('an integer (int16, uint16, int32, uint32) or an enum point');
      return;
    case 'state':
      if (type !== 'enum' && !INTEGER_TYPES.has(type)) {
        wrongType(`an enum point whose labels map to ${(spec.states ?? []).join(', ')}, or an integer point of state codes`);
        return;
      }
      stateMapFits(c, at, name, point, b.map);
      return;
  }
}

function whenValuesFit({ out, path, lose }: Check, name: string, point: PointSpec, when: VendorValue[]): void {
  const entries = enumEntries(point);
  when.forEach((v, i) => {
    if (!entries.some(([raw, label]) => matches(v, raw, label))) out.problem([...path, 'when', i], `${name} never reads "${v}" (it reads ${enumText(point)}), so this value never means yes${lose}`);
  });
}

function stateMapFits(c: Check, at: Array<string | number>, name: string, point: PointSpec, given: Record<string, VendorValue[]> | undefined): void {
  const { out, path, spec, lose, scope } = c;
  let map = given;
  let unmappedHint = '';
  const mapPath = given ? [...path, 'map'] : path;
  const states = spec.states ?? [];
  const isEnum = point.type === 'enum';
  const entries = enumEntries(point);
  if (map === undefined) {
    // Without a map an enum's labels are taken as the canonical states themselves; codes never are.
    if (!isEnum) {
      out.problem(at, `${name} is a ${point.type} of state codes: give map: { ${states.map((s) => `${s}: [...]`).join(', ')} }, which codes mean which state${lose}`);
      return;
    }
    map = Object.fromEntries(states.map((s) => [s, entries.filter(([, l]) => String(l) === s).map(([, l]) => l)] as const).filter(([, v]) => v.length > 0));
    unmappedHint = `, and without map: its labels must be the station's states (${states.join(', ')})`;
  }
  const reached = new Set<string>();
  for (const [state, values] of Object.entries(map)) {
    if (!states.includes(state)) {
      out.problem([...path, 'map', state], `"${state}" is not a state the station knows${didYouMean(state, states)} (states: ${states.join(', ')}): values mapped to it read unknown${lose}`);
      continue;
    }
    values.forEach((v, i) => {
      const produced = isEnum ? entries.some(([raw, l]) => matches(v, raw, l)) : typeof v === 'number' && Number.isInteger(v);
      if (produced) reached.add(state);
      else out.problem([...path, 'map', state, i], isEnum ? `${name} never reads "${v}" (it reads ${enumText(point)})${lose}` : `${name} is a ${point.type} of state codes: map takes whole numbers, not "${v}"${lose}`);
    });
  }
  const who = scope.kind === 'slot' ? 'a slot' : 'the device';
  if (isEnum) {
    for (const [raw, l] of entries) {
      const to = Object.entries(map).filter(([state, values]) => states.includes(state) && values.some((v) => matches(v, raw, l))).map(([state]) => state);
      if (to.length === 0) {
        out.problem(mapPath, `${name} value "${l}" (${raw}) is mapped to no state${unmappedHint}: ${who} reading it counts as unknown, neither ${(spec.needStates ?? states).join(' nor ')} (${spec.use}); add it to one of map's states`);
      } else if (to.length > 1) {
        out.problem(mapPath, `${name} value "${l}" (${raw}) is mapped to ${to.join(' and ')}: one value is one state${lose}`);
      }
    }
  }
  for (const need of spec.needStates ?? []) {
    if (!reached.has(need)) out.problem(mapPath, `no value of ${name} is mapped to ${need}, a state the station needs: ${spec.use}`);
  }
}
