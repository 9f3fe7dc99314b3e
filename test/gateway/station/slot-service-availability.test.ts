import { describe, expect, it } from 'vitest';
import type { Availability } from '../../../cloud-bridge/contract-schemas.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationAvailability } from '../../../gateway/station/availability.js';
import { CabinetSafety } from '../../../gateway/station/cabinet-safety.js';
import { ResourceService } from '../../../gateway/station/resource-service.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { assertContract } from '../../cloud-bridge/contract-validator.js';
import { useTempStores } from '../store/temp-store.js';
import { FakeCabinet, FakeClock, cabinetReading, type SlotSpec } from './station-fakes.js';

/*
 * A cabinet slot an operator takes out of service (cmd/slot) is published in S/availability's
 * outOfService, so every operator's console sees it, not only the one that sent the command: on
 * the change, and rebuilt from the store (real SQLite on disk) after a restart.
 */

const stores = useTempStores();
const ready: SlotSpec = { state: 'ready', soc: 100, batteryTemp: 30 };

function stationOn(store: StationStore) {
  const clock = new FakeClock();
  const log = silentLogger();
  const alarms = new StationAlarms(store.alarms, store.outbox, log);
  const safety = new CabinetSafety({ device: 'cabinet-1', resource: 'cabinet-1', cabinet: new FakeCabinet(), alarms, settings: store.settings, log, clock });
  const resources = new ResourceService({
    clock,
    resources: { 'cabinet-1': { device: 'cabinet-1', outOfService: false }, 'water-1': { device: 'water-1', outOfService: false } },
    settings: store.settings,
    recorder: { record: () => undefined },
    log,
  });
  const published: Availability[] = [];
  const availability = new StationAvailability({ clock, publish: (a) => published.push(a), cabinets: [safety], resources });
  resources.start();
  safety.start();
  availability.start();
  safety.update(cabinetReading([ready, ready, ready]));
  const last = (): Availability => {
    const a = published.at(-1)!;
    // As the bridge publishes it: with its ts, checked against the committed JSON Schema.
    assertContract('availability', { ts: new Date(clock.now()).toISOString(), ...a });
    return a;
  };
  return { clock, safety, resources, availability, last };
}

describe('slots out of service in S/availability', () => {
  it('lists a slot taken out with who, when and why, keeps it across a restart, and drops it when back', () => {
    const store = stores.start();
    const first = stationOn(store);
    expect(first.last().outOfService).toEqual([]);

    first.clock.advance(1000);
    const since = new Date(first.clock.now()).toISOString();
    expect(first.safety.setSlotEnabled(2, false, 'ops-7', 'door latch sticks')).toEqual({ slot: 2, enabled: false });
    const entry = { resource: 'cabinet-1', device: 'cabinet-1', slot: 2, since, by: 'ops-7', reason: 'door latch sticks', source: 'command' };
    expect(first.last().outOfService).toEqual([entry]);
    expect(first.last().services['batteries']).toEqual({ ready: { '48V': 2 } });

    // A second operator taking it out again changes nothing: the first record stays.
    first.clock.advance(1000);
    first.safety.setSlotEnabled(2, false, 'ops-9');
    expect(first.last().outOfService).toEqual([entry]);

    // Beside a whole resource out of service (cmd/service): both listed.
    first.resources.set('water-1', false, 'ops-9');
    expect(first.last().outOfService?.map((e) => [e.resource, e.slot])).toEqual([
      ['water-1', undefined],
      ['cabinet-1', 2],
    ]);
    first.availability.stop();

    // After a restart the retained availability is rebuilt from the store, record and all.
    const again = stationOn(stores.restart(store));
    expect(again.last().outOfService).toContainEqual(entry);
    expect(again.safety.lockedOut(1)).toBe(true);

    again.safety.setSlotEnabled(2, true, 'ops-9');
    expect(again.last().outOfService?.some((e) => e.slot !== undefined)).toBe(false);
    expect(again.last().services['batteries']).toEqual({ ready: { '48V': 3 } });
    again.availability.stop();

    const third = stationOn(stores.restart(store));
    expect(third.last().outOfService?.some((e) => e.slot !== undefined)).toBe(false);
    third.availability.stop();
  });

  it('reads the list of slot numbers an older gateway stored, with the start as since', () => {
    const store = stores.start();
    store.settings.set('cabinet.cabinet-1.disabledSlots', [3]);
    const s = stationOn(store);
    expect(s.safety.disabledSlots()).toEqual([3]);
    expect(s.last().outOfService).toEqual([{ resource: 'cabinet-1', device: 'cabinet-1', slot: 3, since: new Date(s.clock.now()).toISOString(), source: 'command' }]);
    s.availability.stop();
  });
});
