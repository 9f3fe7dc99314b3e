import { describe, expect, it } from 'vitest';
import { deviceStatePayload } from '../../cloud-bridge/payloads.js';
import type { DeviceState } from '../../device-drivers/device-state.js';
import { assertContract } from './contract-validator.js';

/* A cabinet's published slots carry their door number, so no consumer ever adds 1 itself. */

const health: DeviceState['health'] = { lastSeen: '2025-03-04T05:06:07.011Z', errors: {} as DeviceState['health']['errors'], latencyMs: 12 };
const slot = (state: string): Record<string, string | number> => ({ state, soc: 50, batteryTemp: 30 });
const now = new Date('2025-03-04T05:06:07.089Z');

describe('device state payloads', () => {
  it('a cabinet\'s slots[i] carries slot i + 1, the door number, and the contract requires it', () => {
    const state: DeviceState = { online: true, points: { cabinetTemp: 24, slots: [slot('ready'), slot('empty'), slot('charging')] }, health };
    const payload = deviceStatePayload({ id: 'cabinet-1', kind: 'battery-cabinet', model: 'CAB-REF' }, state, now);
    expect((payload.points['slots'] as Array<{ slot: number; state: string }>).map((s) => [s.slot, s.state])).toEqual([
      [1, 'ready'],
      [2, 'empty'],
      [3, 'charging'],
    ]);
    assertContract('device-state', payload);
    // What the driver reads is left alone: station logic keeps indexing `slots[i]`.
    expect((state.points['slots'] as Array<Record<string, unknown>>)[0]).not.toHaveProperty('slot');
    // A gateway that published bare slots would not meet the contract.
    expect(() => assertContract('device-state', { ...payload, points: state.points })).toThrow(/slot/);
    expect(() => assertContract('device-state', { ...payload, points: { slots: [{ ...slot('ready'), slot: 0 }] } })).toThrow(/slot/);
  });

  it('other devices\' points go out as read', () => {
    const points = { tankLevel: 72.5, session: 'idle' };
    const payload = deviceStatePayload({ id: 'water-1', kind: 'water-dispenser', model: 'DSP-REF' }, { online: true, points, health }, now);
    expect(payload.points).toBe(points);
    assertContract('device-state', payload);
  });
});
