import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Availability } from '../../cloud-bridge/contract-schemas.js';
import { loadProfileFile } from '../../config/load-profile.js';
import { builtinProfilesDir } from '../../config/package-root.js';
import { ModbusBatteryCabinet } from '../../device-drivers/capabilities/modbus-capabilities.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { StationAvailability } from '../../gateway/station/availability.js';
import { CabinetSafety } from '../../gateway/station/cabinet-safety.js';
import { SyntheticStation } from '../../fleet/synthetic-station.js';
import type { StationFault } from '../../fleet/fleet-plan.js';
import { mulberry32 } from '../../simulators/modbus/seeded-random.js';
import { FakeClock } from '../gateway/station/station-fakes.js';
import { useStationParts } from '../gateway/station/station-harness.js';

/*
 * The fleet simulator's availability is the gateway's: the same rule (availability-rule.ts) on the
 * same readings. Checked here by feeding a synthetic station's cabinet to the gateway's own battery
 * safety and availability and comparing what each would publish.
 */

const parts = useStationParts();

/** Pack types with no battery ready are left out, as the gateway leaves them out. */
function comparable(a: Availability): unknown {
  const services = { ...a.services };
  const batteries = services['batteries'] as { ready: Record<string, number> } | undefined;
  if (batteries) services['batteries'] = { ready: Object.fromEntries(Object.entries(batteries.ready).filter(([, n]) => n > 0)) };
  delete services['water'];
  delete services['occupancy'];
  return { ...a, services };
}

function gatewayView(model: SyntheticStation): Availability {
  const p = parts.open();
  // The synthetic cabinet publishes the reference cabinet's points: read through its profile's roles.
  const { profile } = loadProfileFile(join(builtinProfilesDir(), 'cabinet-ref.yaml'));
  if (!profile) throw new Error('cabinet-ref.yaml did not load');
  const capability = new ModbusBatteryCabinet(profile, { command: () => Promise.resolve() });
  const safety = new CabinetSafety({ device: 'cabinet-1', cabinet: capability, alarms: p.alarms, settings: p.store.settings, log: silentLogger(), clock: new FakeClock() });
  safety.start();
  const cabinet = model.states(new Date()).get('cabinet-1');
  if (!cabinet) throw new Error('no cabinet-1');
  safety.update(capability.reading(cabinet));
  return new StationAvailability({ publish: () => undefined, cabinets: [safety], doors: () => ({ inService: 1, online: true }) }).compute();
}

describe('SyntheticStation availability', () => {
  it('a station with smoke is closed, its doors unusable for entry, for the same reason the gateway gives', () => {
    const model = new SyntheticStation(mulberry32(4), 'critical');
    expect(model.availability()).toMatchObject({ open: false, services: { doors: { usable: false, reason: 'smoke' } } });
    expect(comparable(model.availability())).toEqual(comparable(gatewayView(model)));
  });

  it.each<StationFault | undefined>([undefined, 'hot', 'no-batteries'])('agrees with the gateway for a %s station', (fault) => {
    const model = new SyntheticStation(mulberry32(9), fault);
    model.tick(10);
    expect(model.availability().open).toBe(true);
    expect(comparable(model.availability())).toEqual(comparable(gatewayView(model)));
  });
});
