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
    address: z.number().int().min(0).max(65535),
    type: z.enum(POINT_TYPES).default('uint16'),
    scale: z.number().default(1).describe('engineering value = raw × scale'),
    unit: z.string().optional(),
    deadband: z.number().min(0).optional().describe('a change smaller than this is not reported (analog points)'),
    byteOrder: order.optional().describe('byte order inside a 16-bit register; default: the profile'),
    wordOrder: order.optional().describe('which 16-bit word of a 32-bit value comes first; big = high word first'),
    bits: z.record(name, z.number().int().min(0).max(15)).optional().describe('type bits: flag name → bit number'),
    values: z.record(z.string().regex(/^\d+$/), z.union([z.string(), z.number()])).optional().describe('type enum: raw value → label'),
    writable: z.boolean().default(false),
    description: z.string().optional(),
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
  maxCount: z.number().int().min(1).max(256).default(64),
  base: z.number().int().min(0).max(65535).describe('address of instance 0'),
  stride: z.number().int().min(1).describe('address step between instances'),
  points: z.record(name, pointSchema).describe('addresses are offsets from base + stride × index'),
});

export const commandSchema = z.strictObject({
  table: z.enum(['coil', 'holding']),
  address: z.number().int().min(0).max(65535),
  type: z.enum(['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32']).optional(),
  group: name.optional().describe('the command addresses instance i of this group at address + i'),
  value: z.union([z.boolean(), z.number()]).optional().describe('a fixed value to write (e.g. a door pulse); otherwise the caller gives it'),
  description: z.string().optional(),
});

export const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/),
    kind: z.enum(DEVICE_KINDS),
    vendor: z.string().min(1),
    model: z.string().min(1),
    description: z.string().optional(),
    defaultUnitId: z.number().int().min(0).max(247).optional(),
    byteOrder: order.default('big'),
    wordOrder: order.default('big'),
    maxGap: z.number().int().min(0).max(124).default(8).describe('unused registers a merged read may bridge'),
    maxBlock: z.number().int().min(1).max(125).default(125).describe('registers per request; some devices take fewer'),
    points: z.record(name, pointSchema),
    groups: z.record(name, groupSchema).default({}),
    commands: z.record(name, commandSchema).default({}),
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
  });

export type Profile = z.output<typeof profileSchema>;
export type PointSpec = z.output<typeof pointSchema>;
export type GroupSpec = z.output<typeof groupSchema>;
export type CommandSpec = z.output<typeof commandSchema>;
