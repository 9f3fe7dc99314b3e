import type { PointSpec, Profile } from '../../config/profile-schema.js';
import { commandTarget, instanceAddress } from '../../config/command-target.js';
import { decodePoint } from '../../device-drivers/modbus/register-codec.js';
import type { PointValue } from '../../device-drivers/device-state.js';
import { encodePoint, pointWidth, type EngineeringValue } from '../../device-drivers/modbus/register-encoder.js';
import type { RegisterBank } from './register-bank.js';

/** A point's spec and the address it has in the bank (a group instance's, for group points). */
export interface PointLocation {
  spec: PointSpec;
  address: number;
}

/**
 * A register bank seen through a profile: points by name (or located for a role binding, see
 * role-view.ts), and the profile alone decides addresses, tables and encodings, so another
 * vendor's map needs no model change.
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

  /** Where a point lives: a device-wide point, or one of instance `index` of `group`. */
  locate(name: string, group?: string, index = 0): PointLocation | undefined {
    if (group === undefined) {
      const spec = this.profile.points[name];
      return spec ? { spec, address: spec.address } : undefined;
    }
    const g = this.profile.groups[group];
    const spec = g?.points[name];
    return g && spec ? { spec, address: g.base + g.stride * index + spec.address } : undefined;
  }

  /** Writes an engineering value at a located point. */
  writeAt(at: PointLocation, value: EngineeringValue): void {
    this.write(at.spec, at.address, value);
  }

  readAt(at: PointLocation): PointValue {
    return this.read(at.spec, at.address);
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
