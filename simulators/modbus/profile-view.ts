import type { PointSpec, Profile } from '../../config/profile-schema.js';
import { commandTarget, instanceAddress } from '../../device-drivers/modbus/command-target.js';
import { decodePoint } from '../../device-drivers/modbus/register-codec.js';
import type { PointValue } from '../../device-drivers/device.js';
import { encodePoint, pointWidth, type EngineeringValue } from './point-encoder.js';
import type { MasterWrite, RegisterBank } from './register-bank.js';

/** A master's write that landed on a profile command, one entry per instance written. */
export interface CommandWrite {
  command: string;
  /** Instance of the command's group; 0 for a command without a group. */
  index: number;
  value: number;
}

/**
 * A register bank seen through a profile: models read and write points by name, and the profile
 * alone decides addresses, tables and encodings, so another vendor's map needs no model change.
 * A point the profile does not declare is skipped on write and undefined on read: vendors expose
 * different subsets, and a simulator of one must not invent the others' registers.
 */
export class ProfileView {
  constructor(
    readonly bank: RegisterBank,
    readonly profile: Profile,
  ) {}

  /** Number of instances of a group: fixed by the profile, or the wanted count clamped to maxCount. */
  groupCount(group: string, wanted: number): number {
    const spec = this.profile.groups[group];
    if (!spec) return 0;
    if (typeof spec.count === 'number') return spec.count;
    return Math.max(1, Math.min(spec.maxCount, Math.floor(wanted)));
  }

  /**
   * Declares every address the profile gives (points, `counts[g]` instances of each group, command
   * targets). Writable: points marked so and every command target; all else answers reads only.
   */
  mapAddresses(counts: Readonly<Record<string, number>> = {}): void {
    for (const point of Object.values(this.profile.points)) this.mapPoint(point, point.address);
    for (const [name, group] of Object.entries(this.profile.groups)) {
      for (let i = 0; i < (counts[name] ?? 0); i++) {
        for (const point of Object.values(group.points)) this.mapPoint(point, group.base + group.stride * i + point.address);
      }
    }
    for (const name of Object.keys(this.profile.commands)) {
      const target = commandTarget(this.profile, name);
      if (!target) continue;
      const instances = target.group ? (counts[target.group] ?? 0) : 1;
      for (let i = 0; i < instances; i++) {
        this.bank.map(target.table, instanceAddress(target, i), target.width, { writable: true });
      }
    }
  }

  has(name: string): boolean {
    return name in this.profile.points;
  }

  hasIn(group: string, name: string): boolean {
    return this.profile.groups[group]?.points[name] !== undefined;
  }

  set(name: string, value: EngineeringValue): void {
    const point = this.profile.points[name];
    if (point) this.write(point, point.address, value);
  }

  get(name: string): PointValue | undefined {
    const point = this.profile.points[name];
    return point ? this.read(point, point.address) : undefined;
  }

  setIn(group: string, index: number, name: string, value: EngineeringValue): void {
    const spec = this.profile.groups[group];
    const point = spec?.points[name];
    if (spec && point) this.write(point, spec.base + spec.stride * index + point.address, value);
  }

  getIn(group: string, index: number, name: string): PointValue | undefined {
    const spec = this.profile.groups[group];
    const point = spec?.points[name];
    return spec && point ? this.read(point, spec.base + spec.stride * index + point.address) : undefined;
  }

  /** Which commands (and instances) a master's write covered, with the value written to each. */
  commandWrites(write: MasterWrite): CommandWrite[] {
    const hits: CommandWrite[] = [];
    const end = write.address + write.values.length;
    for (const name of Object.keys(this.profile.commands)) {
      const target = commandTarget(this.profile, name);
      if (!target || target.table !== write.table) continue;
      const point = target.spec;
      const width = target.width;
      const instances = target.group ? (this.profile.groups[target.group]?.maxCount ?? 0) : 1;
      for (let index = 0; index < instances; index++) {
        const at = instanceAddress(target, index);
        if (at < write.address || at + width > end) continue;
        const words = write.values.slice(at - write.address, at - write.address + width);
        const decoded = decodePoint(point, words, this.profile);
        hits.push({ command: name, index, value: typeof decoded === 'number' ? decoded : Number(decoded === true) });
      }
    }
    return hits;
  }

  private mapPoint(point: PointSpec, address: number): void {
    this.bank.map(point.table, address, pointWidth(point), { writable: point.writable });
  }

  private write(point: PointSpec, address: number, value: EngineeringValue): void {
    const words = encodePoint(point, knownFlags(point, value), this.profile);
    if (point.table === 'coil' || point.table === 'discrete') this.bank.setBits(point.table, address, words);
    else this.bank.setRegisters(point.table, address, words);
  }

  private read(point: PointSpec, address: number): PointValue {
    const width = pointWidth(point);
    const words =
      point.table === 'coil' || point.table === 'discrete'
        ? this.bank.getBits(point.table, address, width)
        : this.bank.getRegisters(point.table, address, width);
    return decodePoint(point, words, this.profile);
  }
}

/** Flags a vendor's status word lacks are dropped rather than refused (see the class comment). */
function knownFlags(point: PointSpec, value: EngineeringValue): EngineeringValue {
  if (point.type !== 'bits' || typeof value !== 'object') return value;
  const bits = point.bits ?? {};
  return Object.fromEntries(Object.entries(value).filter(([name]) => name in bits));
}
