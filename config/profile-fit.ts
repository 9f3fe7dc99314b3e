import type { DeviceKind } from '../device-drivers/device.js';
import type { Profile } from './profile-schema.js';

/*
 * What the station logic writes to a device of each kind, by the command names of the reference
 * profiles (gateway/station/battery-swap.ts and cabinet-safety.ts for cabinets, water-service.ts
 * for dispensers). A vendor profile without one is a valid profile but cannot serve the kind: the
 * first swap or the first leak would fail at the device with "no command", with a rider waiting.
 */

interface Needed {
  name: string;
  /** Addressed per slot: the logic passes the slot's index, so the command needs a group. */
  perInstance: boolean;
  use: string;
}

const NEEDED: Partial<Record<DeviceKind, readonly Needed[]>> = {
  'battery-cabinet': [
    { name: 'openSlotDoor', perInstance: true, use: 'battery swaps open slot doors with it' },
    { name: 'setCharging', perInstance: true, use: 'battery safety cuts and restores charging with it' },
  ],
  'water-dispenser': [{ name: 'enableDispensing', perInstance: false, use: 'the water service opens and shuts the valve with it' }],
};

/** What a profile lacks to serve a device of `kind`, one message per missing command. */
export function profileFitProblems(kind: DeviceKind, profile: Profile): string[] {
  const out: string[] = [];
  for (const need of NEEDED[kind] ?? []) {
    const cmd = profile.commands[need.name];
    if (!cmd) out.push(`profile "${profile.id}" has no command ${need.name}, and ${need.use}`);
    else if (need.perInstance && !cmd.group) out.push(`profile "${profile.id}": command ${need.name} needs a group (it is written per slot), and ${need.use}`);
  }
  return out;
}
