import { describe, expect, it } from 'vitest';
import { profileSchema } from '../../config/profile-schema.js';

/* Profile values that decode to nonsense are refused when the profile is read, not at 2 a.m. */

const base = { id: 'v', kind: 'battery-cabinet', vendor: 'v', model: 'V', points: { t: { address: 0, type: 'int16', scale: 0.1 } } } as const;

describe('profile schema', () => {
  it('accepts a plain profile', () => {
    expect(profileSchema.safeParse(base).success).toBe(true);
  });

  it('refuses a scale of 0, which would read every value as 0', () => {
    const r = profileSchema.safeParse({ ...base, points: { t: { address: 0, type: 'int16', scale: 0 } } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/other than 0/);
  });

  it('refuses maxBlock 1, in which a 32-bit value cannot be read', () => {
    expect(profileSchema.safeParse({ ...base, maxBlock: 1 }).success).toBe(false);
    expect(profileSchema.safeParse({ ...base, maxBlock: 2 }).success).toBe(true);
  });

  it('refuses a command that writes where a declared point is read-only, unless the point is writable', () => {
    const points = { valve: { table: 'coil', address: 0, type: 'bool' }, limit: { address: 20, type: 'uint32' } } as const;
    const commands = { open: { table: 'coil', address: 0 }, setLimit: { table: 'holding', address: 21 } } as const;
    const r = profileSchema.safeParse({ ...base, points, commands });
    expect(r.success).toBe(false);
    const messages = (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^commands\.open\.address: writes coil 0, where the profile declares point valve read-only/),
      // The low word of a 32-bit point is as read-only as its first.
      expect.stringMatching(/^commands\.setLimit\.address: writes holding 20, where the profile declares point limit read-only/),
    ]);
    const writable = { valve: { ...points.valve, writable: true }, limit: { ...points.limit, writable: true } };
    expect(profileSchema.safeParse({ ...base, points: writable, commands }).success).toBe(true);
  });

  it('refuses a grouped command that lands on a read-only point of one of the instances', () => {
    const groups = { slots: { count: 4, base: 100, stride: 10, points: { state: { address: 0, type: 'uint16' } } } };
    const r = profileSchema.safeParse({ ...base, groups, commands: { poke: { table: 'holding', address: 90, group: 'slots', stride: 10 } } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/slots\[0\]\.state read-only/);
  });
});
