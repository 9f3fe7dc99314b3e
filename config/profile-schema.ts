import { z } from 'zod';
import { DEVICE_KINDS } from '../device-drivers/device.js';

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
    writable: z.boolean().default(false).describe('the gateway may write it'),
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

export const commandSchema = z.strictObject({
  table: z.enum(['coil', 'holding']).describe('coil (FC5) or holding register (FC6/FC16)'),
  address: z.number().int().min(0).max(65535).describe('0-based protocol address'),
  type: z.enum(['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32']).optional().describe('holding commands: how the value encodes'),
  group: name.optional().describe('the command addresses instance i of this group at address + i'),
  value: z.union([z.boolean(), z.number()]).optional().describe('a fixed value to write (e.g. a door pulse); otherwise the caller gives it'),
  description: z.string().optional().describe('notes for people'),
});

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
    }
    for (const { path, message } of addressRangeIssues(p)) ctx.addIssue({ code: 'custom', path, message });
  });

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
  commands: Record<string, { address: number; group?: string | undefined }>;
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
    const last = cmd.address + (g ? instances(g) - 1 : 0);
    if (last > LAST_ADDRESS) out.push({ path: ['commands', name, 'address'], message: `instance ${g ? instances(g) - 1 : 0} writes ${last}, past the last Modbus address ${LAST_ADDRESS}` });
  }
  return out;
}

export type Profile = z.output<typeof profileSchema>;
export type PointSpec = z.output<typeof pointSchema>;
export type GroupSpec = z.output<typeof groupSchema>;
export type CommandSpec = z.output<typeof commandSchema>;
