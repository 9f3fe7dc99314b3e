import { describe, expect, it } from 'vitest';
import { profileSchema, type Profile } from '../../../config/profile-schema.js';
import { commandEncodingProblem, decodeCommandWrite, encodeCommand, encodeCommandPulse, findCommandCalls } from '../../../device-drivers/modbus/command-encoder.js';
import { commandTarget, type CommandTarget } from '../../../config/command-target.js';

/* The pure half of command encoding, as validate and the simulators use it (the wire half is command-encoding.test.ts). */

function profile(commands: Record<string, unknown>, orders: Record<string, string> = {}): Profile {
  return profileSchema.parse({
    id: 'enc',
    kind: 'battery-cabinet',
    vendor: 'V',
    model: 'M',
    ...orders,
    points: { limit: { address: 40, type: 'uint32', scale: 0.5, writable: true } },
    groups: { slots: { count: 12, maxCount: 12, base: 100, stride: 10, points: { soc: { address: 0 } } } },
    commands,
  });
}

function target(p: Profile, name: string): CommandTarget {
  const t = commandTarget(p, name);
  if (!t) throw new Error(name);
  return t;
}

describe('encodeCommand', () => {
  it('gives the address and words (or bit) one call writes', () => {
    const p = profile({
      door: { table: 'coil', address: 0, group: 'slots', value: true },
      wide: { table: 'holding', address: 300, group: 'slots', type: 'float32' },
      limit: { point: 'limit' },
    });
    expect(encodeCommand(target(p, 'door'), p, { value: false, index: 11 })).toEqual({ table: 'coil', address: 11, bit: true });
    expect(encodeCommand(target(p, 'wide'), p, { value: 1, index: 2 })).toEqual({ table: 'holding', address: 304, words: [0x3f80, 0] });
    expect(encodeCommand(target(p, 'limit'), p, { value: 35000 })).toEqual({ table: 'holding', address: 40, words: [0x0001, 0x1170] });
  });

  it('encodes a pulse and its release together', () => {
    const p = profile({ open: { table: 'holding', address: 5, value: '0x100 + slot', pulseMs: 300, release: 'value * 0' } });
    expect(encodeCommandPulse(target(p, 'open'), p, { value: true, index: 7 })).toEqual({
      write: { table: 'holding', address: 5, words: [0x108] },
      release: { afterMs: 300, write: { table: 'holding', address: 5, words: [0] } },
    });
  });

  it('refuses an instance past the group\'s maxCount', () => {
    const p = profile({ door: { table: 'coil', address: 0, group: 'slots' } });
    expect(() => encodeCommand(target(p, 'door'), p, { value: true, index: 12 })).toThrow(expect.objectContaining({ code: 'ENCODING' }));
  });
});

describe('recognising a master\'s write (simulators)', () => {
  it('decodes a command write through the read codec, in the profile\'s orders', () => {
    const p = profile({ setU32: { table: 'holding', address: 10, type: 'uint32' } }, { wordOrder: 'little' });
    const t = target(p, 'setU32');
    const { words } = encodeCommand(t, p, { value: 70000 }) as { words: number[] };
    expect(words).toEqual([0x1170, 0x0001]);
    expect(decodeCommandWrite(t, p, words)).toBe(70000);
  });

  it('tells which slot a slot-number register write opens, and whether it is a release', () => {
    const p = profile({ open: { table: 'holding', address: 5, value: 'slot + 0x100', pulseMs: 200 } });
    const t = target(p, 'open');
    expect(findCommandCalls(t, p, { table: 'holding', address: 5, words: [0x104] }, 12)).toEqual([{ index: 3, value: true, release: false }]);
    expect(findCommandCalls(t, p, { table: 'holding', address: 5, words: [0x104] }, 12).length).toBe(1);
    // Every door's release is the same 0.
    expect(findCommandCalls(t, p, { table: 'holding', address: 5, words: [0] }, 2, [true])).toEqual([
      { index: 0, value: true, release: true },
      { index: 1, value: true, release: true },
    ]);
    expect(findCommandCalls(t, p, { table: 'holding', address: 6, words: [0x104] }, 12)).toEqual([]);
  });
});

describe('commandEncodingProblem (validate)', () => {
  it('finds a slot-number command that overflows its register at the last slot, and passes one that fits', () => {
    const p = profile({
      tooWide: { table: 'holding', address: 0, type: 'int16', value: 'slot * 4000' },
      fits: { table: 'holding', address: 1, value: 'slot * 4000' },
      door: { table: 'coil', address: 0, group: 'slots', value: true },
    });
    expect(commandEncodingProblem(target(p, 'tooWide'), p, { instances: 12 })).toMatch(/"tooWide".*48000.*int16/);
    expect(commandEncodingProblem(target(p, 'tooWide'), p, { instances: 8 })).toBeUndefined();
    expect(commandEncodingProblem(target(p, 'fits'), p, { instances: 12 })).toBeUndefined();
    expect(commandEncodingProblem(target(p, 'door'), p)).toBeUndefined();
  });
});

describe('writable', () => {
  it('refuses a command through a point that is not writable, even in a profile built without the schema', () => {
    const p = profile({ limit: { point: 'limit' } });
    const limit = p.points['limit'];
    if (!limit) throw new Error('limit');
    const built: Profile = { ...p, points: { ...p.points, limit: { ...limit, writable: false } } };
    expect(() => encodeCommand(target(built, 'limit'), built, { value: 1 })).toThrow(expect.objectContaining({ code: 'ENCODING', message: expect.stringMatching(/"limit" is not writable/) }));
  });
});
