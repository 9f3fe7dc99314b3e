import { resolveBinding } from '../../device-drivers/capabilities/role-binding.js';
import type { PointSpec, RoleBinding, RoleBindingObject, SlotRoles } from '../../config/profile-schema.js';
import { contractOf, type DevicePart, type SlotState } from '../../config/role-catalogue.js';
import { encodeCommand, encodeCommandPulse, findCommandCalls, type CommandWrite } from '../../device-drivers/modbus/command-encoder.js';
import { commandTarget, instanceAddress, type CommandTarget } from '../../config/command-target.js';
import type { EngineeringValue } from '../../device-drivers/modbus/register-encoder.js';
import type { PointLocation, ProfileView } from './profile-view.js';
import type { MasterWrite } from './register-bank.js';

/*
 * A profile's role bindings, run backwards: the models think in the capability contract's terms
 * (a slot is `ready`, its door is open, the pack is at 61.5 °C) and this view writes whatever the
 * vendor's map makes of that: the state code the vendor lists first for it, the `when` value of a
 * flag, a bit of a status word, an inverted "mains fail", °C through the binding's scale and
 * offset. Master writes to command targets are decoded with the same codec and read back as the
 * command roles they carry out, whatever the command's shape (a coil per slot, one register that
 * takes the slot number, a pulse). The gateway reads the same bindings forwards
 * (device-drivers/capabilities/profile-roles.ts), so a profile proved on the simulator is proved
 * for the station.
 */

export class SimProfileError extends Error {
  override readonly name = 'SimProfileError';
  readonly code = 'SIM_PROFILE';
}

type VendorValue = string | number;

interface Bound {
  /** Point name and, for one flag of a bits point, the bit. Several for `points: [...]`. */
  sources: Array<{ name: string; bit: string | undefined }>;
  binding: RoleBindingObject;
}

/** A master's write that a command role carries out. */
export interface CommandHit {
  role: string;
  /** The slot index (0-based) for slot-scoped roles; 0 for device roles. */
  index: number;
  /** The caller's on/off, for roles that take a flag; true for the others. */
  on: boolean;
}

/** Several temperature sensors of one slot do not read alike; the first reads the pack's value. */
const SENSOR_SPREAD = 0.3;

const STATE_FALLBACKS: Record<SlotState, readonly SlotState[]> = {
  empty: [],
  ready: [],
  charging: ['ready'],
  fault: ['disabled'],
  disabled: ['fault', 'charging'],
};

export class RoleView {
  /** The group that holds the slots, where the profile binds per-slot roles. */
  readonly slotGroup: string | undefined;
  private readonly device: Record<string, RoleBinding>;
  private readonly slot: Record<string, RoleBinding>;
  private readonly stateCodes = new Map<SlotState, VendorValue>();
  private readonly commands: Array<{ role: string; takes: 'nothing' | 'flag'; scope: 'device' | 'slot'; target: CommandTarget }>;

  constructor(readonly view: ProfileView) {
    const profile = view.profile;
    const contract = contractOf(profile.kind);
    // A part the device lacks has no point to write and no command to obey, whatever is bound to it.
    const lacks = new Set<DevicePart>(profile.lacks);
    const missing = new Set([...contract.roles, ...contract.commands].filter((r) => r.unlessLacks !== undefined && lacks.has(r.unlessLacks)).map((r) => r.name));
    const device: Record<string, RoleBinding> = {};
    let slotRoles: SlotRoles | undefined;
    for (const [role, binding] of Object.entries(profile.roles)) {
      if (typeof binding === 'object' && 'group' in binding && typeof binding.group === 'string') slotRoles = binding as SlotRoles;
      else if (!missing.has(role)) device[role] = binding as RoleBinding;
    }
    this.device = device;
    const { group, ...slot } = slotRoles ?? { group: undefined };
    this.slotGroup = group;
    this.slot = Object.fromEntries(Object.entries(slot as Record<string, RoleBinding>).filter(([role]) => !missing.has(role)));
    this.commands = [];
    for (const spec of contract.commands) {
      const name = commandName(device[spec.name]);
      const target = name === undefined ? undefined : commandTarget(profile, name);
      if (!target) continue;
      this.commands.push({ role: spec.name, takes: spec.takes, scope: spec.scope, target });
    }
  }

  /** Resolves the vendor code of every canonical state, or says which the profile cannot express. */
  prepareStates(role = 'state'): void {
    const bound = this.bound(role, true);
    if (!bound) throw new SimProfileError(`profile ${this.view.profile.id} binds no slot role "${role}"`);
    const map = bound.binding.map;
    const spec = this.slotGroup !== undefined ? this.view.profile.groups[this.slotGroup]?.points[bound.sources[0]?.name ?? ''] : undefined;
    if (!spec) throw new SimProfileError(`profile ${this.view.profile.id}: the state role names no point of group ${this.slotGroup ?? '?'}`);
    if (!map && spec.type !== 'enum') throw new SimProfileError(`profile ${this.view.profile.id}: a state role on a ${spec.type} point needs a map of the vendor's codes`);
    for (const state of ['empty', 'charging', 'ready', 'fault', 'disabled'] as const) {
      const candidates = [state, ...STATE_FALLBACKS[state]];
      const code = map ? candidates.map((s) => map[s]?.[0]).find((v) => v !== undefined) : state;
      if (code === undefined) {
        if (state === 'empty' || state === 'ready') throw new SimProfileError(`profile ${this.view.profile.id}: the state role maps nothing to "${state}"`);
        continue;
      }
      this.stateCodes.set(state, code);
    }
  }

  hasSlot(role: string): boolean {
    return this.bound(role, true) !== undefined;
  }

  setFlag(role: string, on: boolean, index?: number): void {
    const bound = this.bound(role, index !== undefined);
    if (!bound) return;
    const value = bound.binding.invert === true ? !on : on;
    for (const source of bound.sources) {
      const at = this.locate(source.name, index);
      if (at) this.writeFlag(at, source.bit ?? bound.binding.bit, bound.binding.when, value);
    }
  }

  /**
   * A fault role bound to a whole bits point: the named faults the vendor's word has bits for;
   * bound otherwise, a flag that any fault is set.
   */
  setFaults(role: string, names: readonly string[], index: number): void {
    const bound = this.bound(role, true);
    if (!bound) return;
    const source = bound.sources[0];
    const at = source && this.locate(source.name, index);
    if (!at || !source) return;
    if (at.spec.type === 'bits' && source.bit === undefined && bound.binding.bit === undefined && !bound.binding.when) {
      const bits = at.spec.bits ?? {};
      const known = names.filter((n) => n in bits);
      // A fault the vendor has no bit for still has to show: it takes the first bit left free,
      // never one another role reads (the over-temperature bit would fake an overheat).
      const taken = this.bitsBoundElsewhere(role, source.name);
      const spare = Object.keys(bits).find((b) => !known.includes(b) && !taken.has(b));
      const set = known.length < names.length && spare !== undefined ? [...known, spare] : known;
      this.view.writeAt(at, Object.fromEntries(Object.keys(bits).map((b) => [b, set.includes(b)])));
      return;
    }
    this.setFlag(role, names.length > 0, index);
  }

  /** The fault names a slot's fault word can carry (the bits of the faults role's point). */
  faultNames(role = 'faults'): string[] {
    const bound = this.bound(role, true);
    const source = bound?.sources[0];
    const spec = source && this.slotGroup ? this.view.profile.groups[this.slotGroup]?.points[source.name] : undefined;
    return spec?.type === 'bits' && source?.bit === undefined ? Object.keys(spec.bits ?? {}) : [];
  }

  setNumber(role: string, value: number, index?: number): void {
    const bound = this.bound(role, index !== undefined);
    if (!bound) return;
    const scale = bound.binding.scale ?? 1;
    const offset = bound.binding.offset ?? 0;
    bound.sources.forEach((source, k) => {
      const at = this.locate(source.name, index);
      if (at) this.view.writeAt(at, fitNumber(at.spec, (value - k * SENSOR_SPREAD - offset) / scale));
    });
  }

  setState(role: string, state: SlotState, index: number): void {
    const bound = this.bound(role, true);
    const source = bound?.sources[0];
    const at = source && this.locate(source.name, index);
    const code = this.stateCodes.get(state);
    if (!at || code === undefined) return;
    this.view.writeAt(at, code);
  }

  /** An identifier: a number point takes the number (0: none). */
  setId(role: string, id: number, index: number): void {
    const bound = this.bound(role, true);
    const source = bound?.sources[0];
    const at = source && this.locate(source.name, index);
    if (!at) return;
    if (at.spec.type === 'enum') {
      // A pack type as a label (`48V`) where the vendor labels its packs.
      const entry = Object.entries(at.spec.values ?? {}).find(([, label]) => label === `${id}V` || String(label) === String(id));
      this.view.writeAt(at, entry ? Number(entry[0]) : id);
    } else this.view.writeAt(at, fitNumber(at.spec, id));
  }

  /**
   * Which command roles a master's write carries out, and for which slot: each command target the
   * write covered, matched against what the shared command encoder would write for every slot and
   * on/off (so one register that takes the slot number opens the slot whose value was written).
   * The release of a pulse is carried out as nothing, even where it equals some slot's value (0
   * for a 0-based slot register): the door opened on the value, not on its release.
   */
  decodeCommandWrite(write: MasterWrite, slotCount: number): CommandHit[] {
    const hits: CommandHit[] = [];
    const end = write.address + write.values.length;
    const orders = this.view.profile;
    for (const c of this.commands) {
      const { target } = c;
      if (target.table !== write.table) continue;
      const grouped = target.group !== undefined;
      const instances = grouped ? slotCount : 1;
      const count = c.scope === 'slot' ? slotCount : 1;
      for (let i = 0; i < instances; i++) {
        const at = instanceAddress(target, i);
        if (at < write.address || at + target.width > end) continue;
        const words = write.values.slice(at - write.address, at - write.address + target.width);
        const written: CommandWrite = target.table === 'coil' ? { table: 'coil', address: at, bit: words[0] !== 0 } : { table: 'holding', address: at, words: [...words] };
        const calls = findCommandCalls(target, orders, written, count, c.takes === 'flag' ? [true, false] : [true]);
        if (calls.some((call) => call.release)) continue;
        const call = calls[0];
        if (call) hits.push({ role: c.role, index: c.scope === 'slot' ? call.index : 0, on: call.value === true || call.value === 1 });
      }
    }
    return hits;
  }

  /**
   * Writes into a command target what the master would write for (index, on): the cabinet's own
   * state of a per-slot switch at start, or the rest value a door command leaves once carried out
   * (a cabinet consumes the command: its release, or 0). A target shared by every slot shows no
   * one slot's switch.
   */
  showCommand(role: string, index: number, on: boolean | 'release'): void {
    const c = this.commands.find((x) => x.role === role);
    if (!c) return;
    const { target } = c;
    const shared = c.scope === 'slot' && target.group === undefined;
    if (shared && on !== 'release') return;
    const orders = this.view.profile;
    const call = { value: on === 'release' ? true : on, index: c.scope === 'slot' ? index : undefined };
    let write: CommandWrite;
    try {
      write =
        on === 'release'
          ? (encodeCommandPulse(target, orders, call).release?.write ?? rest(target, instanceAddress(target, grouped(target) ? index : 0)))
          : encodeCommand(target, orders, call);
    } catch {
      // A command this profile cannot encode for that slot: the master cannot write it either.
      return;
    }
    if (write.table === 'coil') this.view.bank.setBits('coil', write.address, [write.bit]);
    else this.view.bank.setRegisters('holding', write.address, write.words);
  }

  private bitsBoundElsewhere(role: string, point: string): Set<string> {
    const out = new Set<string>();
    for (const other of Object.keys(this.slot)) {
      if (other === role) continue;
      for (const source of this.bound(other, true)?.sources ?? []) {
        const bit = source.bit ?? this.bound(other, true)?.binding.bit;
        if (source.name === point && bit !== undefined) out.add(bit);
      }
    }
    return out;
  }

  private bound(role: string, slot: boolean): Bound | undefined {
    const b = (slot ? this.slot : this.device)[role];
    if (b === undefined || (slot && this.slotGroup === undefined)) return undefined;
    const { binding, refs } = resolveBinding(b);
    if (refs.length === 0) return undefined;
    return { binding, sources: refs };
  }

  private locate(name: string, index: number | undefined): PointLocation | undefined {
    return index === undefined ? this.view.locate(name) : this.slotGroup !== undefined ? this.view.locate(name, this.slotGroup, index) : undefined;
  }

  private writeFlag(at: PointLocation, bit: string | undefined, when: readonly VendorValue[] | undefined, on: boolean): void {
    const { spec } = at;
    if (spec.type === 'bool') return this.view.writeAt(at, on);
    if (spec.type === 'bits') {
      const current = this.view.readAt(at);
      const flags = typeof current === 'object' && current !== null ? { ...(current as Record<string, boolean>) } : {};
      const name = bit ?? Object.keys(spec.bits ?? {})[0];
      if (name === undefined || !(name in (spec.bits ?? {}))) return;
      flags[name] = on;
      return this.view.writeAt(at, flags);
    }
    if (!when) return this.view.writeAt(at, on ? 1 : 0);
    if (on) return this.view.writeAt(at, rawOf(spec, when[0] as VendorValue));
    return this.view.writeAt(at, notIn(spec, when));
  }
}

function commandName(binding: RoleBinding | undefined): string | undefined {
  if (binding === undefined) return undefined;
  return typeof binding === 'string' ? binding : (binding.command ?? binding.point);
}

const grouped = (target: CommandTarget): boolean => target.group !== undefined;

/** A command target at rest: the coil off, the register(s) 0. */
function rest(target: CommandTarget, address: number): CommandWrite {
  return target.table === 'coil' ? { table: 'coil', address, bit: false } : { table: 'holding', address, words: new Array<number>(target.width).fill(0) };
}

/** A `when` value or a state code as the point encodes it: a label of an enum, or a number. */
function rawOf(spec: PointSpec, v: VendorValue): EngineeringValue {
  return typeof v === 'string' && spec.type !== 'enum' ? Number(v) : v;
}

/** A value outside `when`: the first enum value not listed, or 0 (or the first integer not listed). */
function notIn(spec: PointSpec, when: readonly VendorValue[]): EngineeringValue {
  const listed = new Set(when.map(String));
  if (spec.type === 'enum') {
    const entry = Object.entries(spec.values ?? {}).find(([raw, label]) => !listed.has(raw) && !listed.has(String(label)));
    if (entry) return Number(entry[0]);
  }
  let n = 0;
  while (listed.has(String(n))) n++;
  return n;
}

/** A number the point can hold: a sensor saturates rather than wrapping or refusing. */
function fitNumber(spec: PointSpec, value: number): EngineeringValue {
  if (spec.type === 'bool') return value !== 0;
  const range: Partial<Record<PointSpec['type'], [number, number]>> = {
    int16: [-0x8000, 0x7fff],
    uint16: [0, 0xffff],
    enum: [0, 0xffff],
    int32: [-0x80000000, 0x7fffffff],
    uint32: [0, 0xffffffff],
  };
  const r = range[spec.type];
  if (!r) return value;
  const [lo, hi] = spec.scale > 0 ? [r[0] * spec.scale, r[1] * spec.scale] : [r[1] * spec.scale, r[0] * spec.scale];
  return Math.min(hi, Math.max(lo, value));
}

