import { DOOR_CLOSED_REASONS, type Availability, type OutOfServiceEntry } from '../../cloud-bridge/contract-schemas.js';

/*
 * The one rule for what `S/availability` says: pure, so the gateway (StationAvailability) and the
 * fleet simulator (fleet/) compute it with the same code and cannot drift apart.
 */

/** Why the entrance cannot be used (`services.doors.reason`); the contract lists them, most urgent first. */
export type DoorClosedReason = (typeof DOOR_CLOSED_REASONS)[number];

export interface AvailabilityInputs {
  /** Within opening hours (the access policy's general answer, operators aside). */
  withinHours: boolean;
  /**
   * The entrance doors, when the station has any in its file: how many are in service and
   * whether any of their locks answers. Absent: no `doors` service, and doors never close it.
   */
  doors?: { inService: number; online: boolean } | undefined;
  /** Per cabinet: its smoke detector as battery safety latched it, and the batteries a swap would offer. */
  cabinets?: ReadonlyArray<{ smoke: boolean; ready: Readonly<Record<string, number>> }>;
  /** Per dispenser: whether it can serve water now. */
  water?: readonly boolean[];
  /** Per occupancy sensor: people inside, undefined while it is offline or faulty. */
  occupancy?: ReadonlyArray<number | undefined>;
  /** Per smoke detector of the station (apart from the cabinets): smoke as its watch latched it. */
  detectors?: readonly boolean[];
  /**
   * The resources out of service (the station file's and cmd/service's), published as they are;
   * absent: no `outOfService` field (a caller that does not track them). An entrance out of
   * service counts in `doors.inService` already.
   */
  outOfService?: readonly OutOfServiceEntry[] | undefined;
}

/**
 * Smoke anywhere in the station closes it and makes its doors unusable for entry: nobody should be
 * let into a room with a smouldering battery, and a map must not send a worker there. An entrance
 * with no door in service, or none whose lock answers, closes it too, with the first of those in
 * `services.doors.reason`; outside opening hours it is closed with its doors usable (operators).
 * Egress is not in here on purpose: the exit button releases the door in the lock controller
 * itself and never waits for the gateway. A cabinet that does not answer does not close the
 * station (its smoke is unknown, not present; water and a seat still work): it offers no batteries
 * and has its own `device.offline` alarm.
 */
export function stationAvailability(inputs: AvailabilityInputs): Availability {
  const { withinHours, doors, cabinets = [], water = [], occupancy = [], detectors = [] } = inputs;
  const smoke = cabinets.some((c) => c.smoke) || detectors.some(Boolean);
  const doorReason = doors ? firstDoorReason(doors, smoke) : undefined;

  const services: Availability['services'] = {};
  if (doors) services['doors'] = doorReason ? { usable: false, reason: doorReason } : { usable: true };
  if (cabinets.length > 0) {
    const ready: Record<string, number> = {};
    for (const c of cabinets) for (const [pack, n] of Object.entries(c.ready)) ready[pack] = (ready[pack] ?? 0) + n;
    services['batteries'] = { ready };
  }
  if (water.length > 0) services['water'] = { ok: water.some(Boolean) };
  if (occupancy.length > 0) {
    // Unknown (a sensor offline) is published as null, never as an empty room.
    services['occupancy'] = { inside: occupancy.some((n) => n === undefined) ? null : occupancy.reduce<number>((a, n) => a + (n ?? 0), 0) };
  }
  const open = withinHours && !smoke && doorReason === undefined;
  return inputs.outOfService ? { open, services, outOfService: inputs.outOfService.map((e) => ({ ...e })) } : { open, services };
}

function firstDoorReason(doors: NonNullable<AvailabilityInputs['doors']>, smoke: boolean): DoorClosedReason | undefined {
  if (smoke) return 'smoke';
  if (doors.inService === 0) return 'out-of-service';
  if (!doors.online) return 'doors-offline';
  return undefined;
}
