import { describe, expect, it } from 'vitest';
import type { Availability } from '../../../cloud-bridge/contract-schemas.js';
import { StationAvailability } from '../../../gateway/station/availability.js';
import { stationAvailability } from '../../../gateway/station/availability-rule.js';
import { EventRecorder } from '../../../gateway/station/event-recorder.js';
import { ResourceService, SERVICE_SETTINGS_KEY } from '../../../gateway/station/resource-service.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { assertContract, assertEventData } from '../../cloud-bridge/contract-validator.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { useTempStores } from '../store/temp-store.js';

/*
 * The out-of-service overlay (cmd/service) on a real store on disk: what it keeps across a
 * restart, what the station file decides, and what availability publishes from it.
 */

const stores = useTempStores();
const RESOURCES = {
  'main-door': { device: 'lock-1', outOfService: false },
  'side-door': { device: 'lock-1', outOfService: true },
  'water-1': { device: 'water-1', outOfService: false },
};

function overlay(store: StationStore, clock = new FakeClock()): ResourceService {
  const service = new ResourceService({ resources: RESOURCES, settings: store.settings, recorder: new EventRecorder(store.outbox, silentLogger()), log: silentLogger(), clock });
  service.start();
  return service;
}

const serviceEvents = (store: StationStore): Array<Record<string, unknown>> =>
  store.outbox
    .pending(100)
    .filter((e) => e.type === 'resource.service')
    .map((e) => (assertEventData(e.type, e.data), { device: e.device, ...e.data }));

const refusal = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'OK';
};

describe('ResourceService', () => {
  it('takes a resource out and back, on record as resource.service, and keeps it across a restart', () => {
    const clock = new FakeClock();
    let store = stores.start();
    let service = overlay(store, clock);
    const since = new Date(clock.now()).toISOString();
    expect(service.list()).toEqual([{ resource: 'side-door', since, source: 'config' }]);
    expect(service.set('water-1', false, 'ops-7', 'filter change')).toEqual({ resource: 'water-1', enabled: false, changed: true });
    clock.advance(60_000);
    // Again: nothing changes, and the first record (who, when, why) stays.
    expect(service.set('water-1', false, 'ops-8')).toEqual({ resource: 'water-1', enabled: false, changed: false });
    store = stores.restart(store);
    service = overlay(store, clock);
    expect(service.outOfService('water-1')).toEqual({ resource: 'water-1', since, by: 'ops-7', reason: 'filter change', source: 'command' });
    expect(service.set('water-1', true, 'ops-8')).toEqual({ resource: 'water-1', enabled: true, changed: true });
    expect(service.outOfService('water-1')).toBeUndefined();
    store = stores.restart(store);
    expect(overlay(store, clock).outOfService('water-1')).toBeUndefined();
    expect(serviceEvents(store)).toEqual([
      { device: 'water-1', resource: 'water-1', enabled: false, by: 'ops-7', reason: 'filter change' },
      { device: 'water-1', resource: 'water-1', enabled: true, by: 'ops-8' },
    ]);
  });

  it('cannot put back what the station file takes out (FORBIDDEN), knows no other resource (UNKNOWN_RESOURCE), and writes nothing for either', () => {
    const store = stores.start();
    const service = overlay(store);
    expect(refusal(() => service.set('side-door', true, 'ops-7'))).toBe('FORBIDDEN');
    expect(service.set('side-door', false, 'ops-7')).toEqual({ resource: 'side-door', enabled: false, changed: false });
    expect(refusal(() => service.set('back-door', false, 'ops-7'))).toBe('UNKNOWN_RESOURCE');
    expect(store.settings.get(SERVICE_SETTINGS_KEY)).toBeUndefined();
    expect(serviceEvents(store)).toEqual([]);
  });

  it('ignores a stored record of a resource the station file no longer names, and an unreadable one', () => {
    const store = stores.start();
    store.settings.set(SERVICE_SETTINGS_KEY, { 'old-door': { since: '2026-01-01T00:00:00.000Z', by: 'ops-1' }, 'water-1': { since: 7 }, 'main-door': { since: '2026-01-01T00:00:00.000Z', by: 'ops-2' } });
    expect(overlay(store).list().map((e) => e.resource)).toEqual(['main-door', 'side-door']);
  });

  it('is what availability publishes in outOfService, and an entrance taken out closes the doors as out-of-service', () => {
    const store = stores.start();
    const service = overlay(store);
    const published: Availability[] = [];
    const entrance = (): { inService: number; online: boolean } => ({ inService: service.outOfService('main-door') ? 0 : 1, online: true });
    const availability = new StationAvailability({ publish: (a) => published.push(a), doors: entrance, resources: service });
    availability.start();
    service.set('main-door', false, 'ops-7', 'lock replaced');
    service.set('main-door', true, 'ops-7');
    availability.stop();
    for (const a of published) assertContract('availability', { ts: '2026-12-01T00:00:00.000Z', ...a });
    expect(published.map((a) => [a.open, a.services['doors'], a.outOfService?.map((e) => `${e.resource} ${e.source} ${e.by ?? ''}`)])).toEqual([
      [true, { usable: true }, ['side-door config ']],
      [false, { usable: false, reason: 'out-of-service' }, ['main-door command ops-7', 'side-door config ']],
      [true, { usable: true }, ['side-door config ']],
    ]);
    expect(published[1]!.outOfService![0]).toMatchObject({ reason: 'lock replaced' });
    // A caller that tracks none publishes no field; one that tracks them publishes an empty list.
    expect(stationAvailability({ withinHours: true })).not.toHaveProperty('outOfService');
    expect(stationAvailability({ withinHours: true, outOfService: [] })).toEqual({ open: true, services: {}, outOfService: [] });
  });
});
