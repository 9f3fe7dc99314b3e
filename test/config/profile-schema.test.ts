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
});
