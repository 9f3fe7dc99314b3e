import { z } from 'zod';
import { DEVICE_KINDS } from './device-kinds.js';
import { DEVICE_PARTS } from './role-catalogue.js';
import { expressionProblem } from './command-expression.js';

/*
 * A Modbus device profile: the register map of one vendor's model, as data. Drivers and
 * simulators both read it, so a new vendor is a new YAML file and no code.
 * Addresses are 0-based protocol addresses (what goes in the PDU).
 */

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const name = z.string().regex(NAME, 'must be an identifier (letters, digits, _)');
const order = z.enum(['big', 'little']);

export const TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export const POINT_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'bits', 'enum'] as const;

export const pointSchema = z
  .strictObject({
    table: z.enum(TABLES).default('holding').describe('holding (FC3), input (FC4), coil (FC1), discrete (FC2)'),
    address: z.number().int().min(0).max(65535).describe('0-based protocol address (in a group: offset from the instance base)'),
    type: z.enum(POINT_TYPES).default('uint16').describe('how the raw registers decode'),
    scale: z
      .number()
      .refine((v) => v !== 0 && Number.isFinite(v), 'must be a finite number other than 0 (0 would read every value as 0)')
      .default(1)
      .describe('engineering value = raw × scale'),
    unit: z.string().optional().describe('engineering unit, for people'),
    deadband: z.number().min(0).optional().describe('a change smaller than this is not reported (analog points)'),
    byteOrder: order.optional().describe('byte order inside a 16-bit register; default: the profile'),
    wordOrder: order.optional().describe('which 16-bit word of a 32-bit value comes first; big = high word first'),
    bits: z.record(name, z.number().int().min(0).max(15)).optional().describe('type bits: flag name → bit number'),
    values: z.record(z.string().regex(/^\d+$/), z.union([z.string(), z.number()])).optional().describe('type enum: raw value → label'),
    writable: z.boolean().default(false).describe('the gateway may write it: a command that writes where a point is declared needs the point writable'),
    description: z.string().optional().describe('notes for people'),
  })
  .superRefine((p, ctx) => {
    const bitTable = p.table === 'coil' || p.table === 'discrete';
    if (bitTable && p.type !== 'bool') ctx.addIssue({ code: 'custom', path: ['type'], message: `${p.table} points are single bits: type must be bool` });
    if (!bitTable && p.type === 'bool') ctx.addIssue({ code: 'custom', path: ['type'], message: 'bool points live in the coil or discrete table' });
    if (p.type === 'bits' && !p.bits) ctx.addIssue({ code: 'custom', path: ['bits'], message: 'type bits needs a bits map (name: bit number)' });
    if (p.type === 'enum' && !p.values) ctx.addIssue({ code: 'custom', path: ['values'], message: 'type enum needs a values map (raw: label)' });
  });

export const groupSchema = z.strictObject({
  count: z.union([z.number().int().min(1).max(256), name]).describe('how many instances: a number, or the name of a point that holds it'),
  maxCount: z.number().int().min(1).max(256).default(64).describe('a count read from the device is capped here'),
  base: z.number().int().min(0).max(65535).describe('address of instance 0'),
  stride: z.number().int().min(1).describe('address step between instances'),
  points: z.record(name, pointSchema).describe('addresses are offsets from base + stride × index'),
});

const commandValue = z.union([z.boolean(), z.number(), z.string().max(200)]);

export const commandSchema = z
  .strictObject({
    point: name.optional().describe('write through this declared point (its table, address, type, scale and orders); the point must be writable'),
    table: z.enum(['coil', 'holding']).optional().describe('coil (FC5) or holding register (FC6; FC16 for 32-bit values); not with point'),
    address: z.number().int().min(0).max(65535).optional().describe('0-based protocol address (of instance 0 with group); not with point'),
    type: z.enum(['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32']).optional().describe('holding commands: how the value encodes, through the same codec as reads (default uint16)'),
    scale: z
      .number()
      .refine((v) => v !== 0 && Number.isFinite(v), 'must be a finite number other than 0')
      .optional()
      .describe('raw = value / scale, as for points'),
    byteOrder: order.optional().describe('byte order inside a register; default: the profile'),
    wordOrder: order.optional().describe('word order of a 32-bit value; default: the profile'),
    group: name.optional().describe('one target per instance of this group: instance i at address + stride × i'),
    stride: z.number().int().min(1).max(1000).optional().describe('with group: address step between instances (default: the width of the value)'),
    value: commandValue
      .optional()
      .describe('what is written: a fixed value, or an expression of slot (from 1), index (from 0) and value (the caller\'s, 1 or 0), e.g. "slot" or "index + 0x100"; default: the caller\'s value'),
    pulseMs: z.number().int().min(1).max(60_000).optional().describe('a pulse: write value, wait this long, then write release'),
    release: commandValue.optional().describe('with pulseMs: what is written after the pulse (default false / 0)'),
    description: z.string().optional().describe('notes for people'),
  })
  .superRefine((c, ctx) => {
    if (c.point !== undefined) {
      for (const key of ['table', 'address', 'type', 'scale', 'byteOrder', 'wordOrder'] as const) {
        if (c[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} comes from the point; give point or ${key}, not both` });
      }
    } else {
      if (c.table === undefined) ctx.addIssue({ code: 'custom', path: ['table'], message: 'a command needs a table and an address, or a point' });
      if (c.address === undefined) ctx.addIssue({ code: 'custom', path: ['address'], message: 'a command needs an address (or a point)' });
      if (c.table === 'coil' && c.type !== undefined && c.type !== 'bool') ctx.addIssue({ code: 'custom', path: ['type'], message: 'a coil is one bit: type must be bool' });
      if (c.table === 'holding' && c.type === 'bool') ctx.addIssue({ code: 'custom', path: ['type'], message: 'a holding register command takes a number type (uint16 for 0/1)' });
    }
    for (const key of ['value', 'release'] as const) {
      const v = c[key];
      if (typeof v !== 'string') continue;
      const problem = expressionProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `not an expression of slot, index and value: ${problem}` });
    }
    if (c.release !== undefined && c.pulseMs === undefined) ctx.addIssue({ code: 'custom', path: ['release'], message: 'release is written after a pulse: give pulseMs too' });
    if (c.stride !== undefined && c.group === undefined) ctx.addIssue({ code: 'custom', path: ['stride'], message: 'stride steps between instances of a group: give group too' });
  });

/* Role bindings: which of the vendor's points and commands play the roles of the device kind's
 * capability contract (device-drivers/capabilities/role-catalogue.ts, docs/device-roles.md). */

const pointRef = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$/, 'a point name, or point.bit for one bit of a bits point');
const vendorValue = z.union([z.string().min(1), z.number()]);

export const roleBindingObjectSchema = z.strictObject({
  point: pointRef.optional().describe('the point that plays the role (point.bit for one flag of a bits point)'),
  points: z.array(pointRef).min(1).max(8).optional().describe('number roles: several sensors, the highest counts (battery temperature)'),
  bit: name.optional().describe('flag roles on a bits point: the flag'),
  when: z.array(vendorValue).min(1).optional().describe('flag roles on an enum or number point: the values (labels or raw numbers) that mean yes'),
  invert: z.boolean().optional().describe('flag roles: the point says the opposite (a "mains fail" bit for mainsOk)'),
  map: z.record(z.string(), z.array(vendorValue).min(1)).optional().describe('state roles: canonical state → the vendor\'s values (labels or raw numbers) for it'),
  scale: z.number().refine((v) => v !== 0 && Number.isFinite(v), 'must be a finite number other than 0').optional().describe('number roles: role value = point value × scale + offset (unit conversion)'),
  offset: z.number().optional().describe('number roles: added after scale (e.g. -273.15 for kelvin)'),
  command: name.optional().describe('command roles: the profile command that carries it out'),
});

/** A binding: a point (or point.bit) name, a command name for command roles, or the full form. */
export const roleBindingSchema = z.union([pointRef, roleBindingObjectSchema]);

export const slotRolesSchema = z
  .object({ group: name.describe('the profile group that holds the slots') })
  .catchall(roleBindingSchema)
  .describe('the per-slot roles, bound to points of the group');

export const rolesSchema = z.record(name, z.union([slotRolesSchema, roleBindingSchema])).describe('role name → binding (docs/device-roles.md lists the roles of each kind)');

export const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/).describe('profile name, as devices refer to it'),
    kind: z.enum(DEVICE_KINDS).describe('the device kind this profile serves'),
    vendor: z.string().min(1).describe('maker'),
    model: z.string().min(1).describe('model, as published in device state'),
    description: z.string().optional().describe('notes for people'),
    defaultUnitId: z.number().int().min(0).max(247).optional().describe('the unit id the device ships with'),
    byteOrder: order.default('big').describe('byte order inside registers, for all points'),
    wordOrder: order.default('big').describe('word order of 32-bit values, for all points; big = high word first'),
    maxGap: z.number().int().min(0).max(124).default(0).describe('unused registers a merged read may bridge; 0 unless the device is known to answer reads of unmapped registers (strict devices answer exception 02)'),
    maxBlock: z.number().int().min(2).max(125).default(125).describe('registers per request; some devices take fewer (at least 2, so a 32-bit value fits one request)'),
    points: z.record(name, pointSchema).describe('the device-wide points, by name'),
    groups: z.record(name, groupSchema).default({}).describe('repeated blocks (a cabinet\'s slots), by name'),
    commands: z.record(name, commandSchema).default({}).describe('writes the gateway may make, by name'),
    lacks: z.array(z.enum(DEVICE_PARTS)).default([]).describe('parts this model does not have (doorSensor, chargingSwitch, valveReadback); the station adapts as docs/device-roles.md says'),
    roles: rolesSchema.default({}).describe('which points and commands play the roles of the kind\'s capability contract'),
  })
  .superRefine((p, ctx) => {
    for (const [g, group] of Object.entries(p.groups)) {
      if (typeof group.count === 'string' && !(group.count in p.points)) {
        ctx.addIssue({ code: 'custom', path: ['groups', g, 'count'], message: `no point named "${group.count}"` });
      }
      if (g in p.points) ctx.addIssue({ code: 'custom', path: ['groups', g], message: `"${g}" is also a point name` });
    }
    for (const [c, cmd] of Object.entries(p.commands)) {
      if (cmd.group && !(cmd.group in p.groups)) {
        ctx.addIssue({ code: 'custom', path: ['commands', c, 'group'], message: `no group named "${cmd.group}"` });
      }
      if (cmd.point !== undefined) {
        const target = p.points[cmd.point];
        if (!target) ctx.addIssue({ code: 'custom', path: ['commands', c, 'point'], message: `no point named "${cmd.point}" (commands write device-wide points)` });
        else if (target.table !== 'holding' && target.table !== 'coil') ctx.addIssue({ code: 'custom', path: ['commands', c, 'point'], message: `"${cmd.point}" is in the ${target.table} table, which Modbus cannot write` });
        else if (!target.writable) ctx.addIssue({ code: 'custom', path: ['commands', c, 'point'], message: `point "${cmd.point}" is not writable: mark it writable: true if the device takes writes there` });
        else if (target.type === 'bits' || target.type === 'enum') ctx.addIssue({ code: 'custom', path: ['commands', c, 'point'], message: `a ${target.type} point cannot be written as a command value` });
      }
    }
    for (const { path, message } of addressRangeIssues(p)) ctx.addIssue({ code: 'custom', path, message });
    for (const { path, message } of readOnlyTargetIssues(p)) ctx.addIssue({ code: 'custom', path, message });
  });

/** How many 16-bit registers a value of this type occupies (bit tables: one bit). */
export function registerCount(type: (typeof POINT_TYPES)[number]): number {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

/** Registers a value takes: 32-bit types two, the rest (and every coil or input bit) one. */
const width = (spec: { table: string; type: string }): number => (spec.table === 'holding' || spec.table === 'input') && /32$/.test(spec.type) ? 2 : 1;
const LAST_ADDRESS = 65535;

/**
 * Modbus addresses end at 65535. A point (or a group instance, up to the count the group can
 * reach) past it is a read the bus cannot even encode, failing at every poll from the first.
 */
function addressRangeIssues(p: {
  points: Record<string, { table: string; type: string; address: number }>;
  groups: Record<string, { count: number | string; maxCount: number; base: number; stride: number; points: Record<string, { table: string; type: string; address: number }> }>;
  commands: Record<string, { address?: number | undefined; point?: string | undefined; type?: string | undefined; table?: string | undefined; stride?: number | undefined; group?: string | undefined }>;
}): Array<{ path: Array<string | number>; message: string }> {
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  for (const [name, spec] of Object.entries(p.points)) {
    const last = spec.address + width(spec) - 1;
    if (last > LAST_ADDRESS) out.push({ path: ['points', name, 'address'], message: `a ${spec.type} at ${spec.address} ends at ${last}, past the last Modbus address ${LAST_ADDRESS}` });
  }
  const instances = (g: { count: number | string; maxCount: number }): number => (typeof g.count === 'number' ? Math.min(g.count, g.maxCount) : g.maxCount);
  for (const [group, g] of Object.entries(p.groups)) {
    const lastBase = g.base + g.stride * (instances(g) - 1);
    for (const [name, spec] of Object.entries(g.points)) {
      const last = lastBase + spec.address + width(spec) - 1;
      if (last > LAST_ADDRESS) {
        out.push({ path: ['groups', group, 'points', name, 'address'], message: `instance ${instances(g) - 1} of ${group} puts it at ${lastBase + spec.address}, ending at ${last}: past the last Modbus address ${LAST_ADDRESS} (lower maxCount, base or stride)` });
      }
    }
  }
  for (const [name, cmd] of Object.entries(p.commands)) {
    const g = cmd.group ? p.groups[cmd.group] : undefined;
    const target = cmd.point !== undefined ? p.points[cmd.point] : undefined;
    const address = target?.address ?? cmd.address;
    if (address === undefined) continue;
    const w = width(target ?? { table: cmd.table ?? 'holding', type: cmd.type ?? 'uint16' });
    const last = address + (g ? (instances(g) - 1) * (cmd.stride ?? w) : 0) + w - 1;
    if (last > LAST_ADDRESS) out.push({ path: ['commands', name, 'address'], message: `instance ${g ? instances(g) - 1 : 0} writes ${last}, past the last Modbus address ${LAST_ADDRESS}` });
  }
  return out;
}

/**
 * A command that writes where the profile declares a point it does not mark writable: the
 * vendor's sheet says the register is read-only (or the author forgot to say it is not), and a
 * write there would be refused by the device or, worse, change something nobody meant to. Either
 * the point is marked `writable: true` or the command is wrong.
 */
function readOnlyTargetIssues(p: {
  points: Record<string, { table: string; type: string; address: number; writable: boolean }>;
  groups: Record<string, { count: number | string; maxCount: number; base: number; stride: number; points: Record<string, { table: string; type: string; address: number; writable: boolean }> }>;
  commands: Record<string, { address?: number | undefined; point?: string | undefined; type?: string | undefined; table?: string | undefined; stride?: number | undefined; group?: string | undefined }>;
}): Array<{ path: Array<string | number>; message: string }> {
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  const declared: Array<{ name: string; table: string; from: number; to: number; writable: boolean }> = [];
  for (const [name, spec] of Object.entries(p.points)) declared.push({ name, table: spec.table, from: spec.address, to: spec.address + width(spec) - 1, writable: spec.writable });
  for (const [group, g] of Object.entries(p.groups)) {
    // A count the device reports is known only at run time; maxCount is a cap, not a layout, so
    // instances it allows but no device of the model has say nothing about overlaps.
    if (typeof g.count !== 'number') continue;
    const n = Math.min(g.count, g.maxCount);
    for (const [name, spec] of Object.entries(g.points)) {
      for (let i = 0; i < n; i++) {
        const at = g.base + g.stride * i + spec.address;
        declared.push({ name: `${group}[${i}].${name}`, table: spec.table, from: at, to: at + width(spec) - 1, writable: spec.writable });
      }
    }
  }
  for (const [name, cmd] of Object.entries(p.commands)) {
    if (cmd.point !== undefined || cmd.address === undefined || cmd.table === undefined) continue;
    const w = width({ table: cmd.table, type: cmd.type ?? 'uint16' });
    const g = cmd.group ? p.groups[cmd.group] : undefined;
    const instances = g ? (typeof g.count === 'number' ? Math.min(g.count, g.maxCount) : g.maxCount) : 1;
    const step = cmd.stride ?? w;
    const hit = declared.find((d) => {
      if (d.writable || d.table !== cmd.table) return false;
      for (let i = 0; i < instances; i++) {
        const from = cmd.address! + step * i;
        if (from <= d.to && from + w - 1 >= d.from) return true;
      }
      return false;
    });
    if (hit) out.push({ path: ['commands', name, 'address'], message: `writes ${cmd.table} ${hit.from}, where the profile declares point ${hit.name} read-only: mark that point writable: true if the device takes writes there, or correct the command's address` });
  }
  return out;
}

export type Profile = z.output<typeof profileSchema>;
export type PointSpec = z.output<typeof pointSchema>;
export type GroupSpec = z.output<typeof groupSchema>;
export type CommandSpec = z.output<typeof commandSchema>;
export type RoleBinding = z.output<typeof roleBindingSchema>;
export type RoleBindingObject = z.output<typeof roleBindingObjectSchema>;
export type SlotRoles = z.output<typeof slotRolesSchema>;
