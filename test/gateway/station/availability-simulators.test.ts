import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Availability } from '../../../cloud-bridge/contract-schemas.js';
import { loadStationConfig } from '../../../config/load-station-config.js';
import type { DeviceDriver } from '../../../device-drivers/device.js';
import type { Points } from '../../../device-drivers/device-state.js';
import { DeviceMonitor } from '../../../device-drivers/health/device-monitor.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { wireStationLogic, type StationLogicWiring } from '../../../gateway/runtime/station-logic-wiring.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startSimStation, type SimStation } from './sim-station.js';
import { useStationParts } from './station-harness.js';

/*
 * Availability as the runtime wires it (wireStationLogic), on a simulated cabinet, dispenser and
 * occupancy sensor over real Modbus TCP, and a door lock that answers its first poll late, as a
 * serial controller waking up does.
 */

const parts = useStationParts();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A lock that answers, but only after `firstAnswerMs` on its first poll. */
function slowLock(firstAnswerMs: number): DeviceDriver {
  let first = true;
  return {
    kind: 'door-lock',
    model: 'lk-ref',
    open: async () => undefined,
    close: async () => undefined,
    read: async (): Promise<Points> => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, firstAnswerMs));
      }
      return { doors: { '1': { bolt: 'locked', door: 'closed' } } };
    },
    deadbands: () => ({}),
    onEvent: () => () => undefined,
  };
}

async function station(): Promise<{ sim: SimStation; published: Availability[]; logic: StationLogicWiring; start(): Promise<void> }> {
  const sim = await startSimStation([
    { id: 'cabinet-1', kind: 'battery-cabinet', slots: 6 },
    { id: 'water-1', kind: 'water-dispenser' },
    { id: 'occupancy-1', kind: 'occupancy' },
  ]);
  cleanups.push(() => sim.stop());
  // Nobody comes or goes by chance: availability changes only with what the test does.
  await sim.sim.command('occupancy-1 wander off');
  await sim.sim.command('occupancy-1 people 0');
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const port = (id: string): number => {
    const e = sim.sim.device(id).endpoint;
    if (e.transport !== 'modbus-tcp') throw new Error(`${id}: not Modbus TCP`);
    return e.port;
  };
  const file = join(dir.path, 'station.yaml');
  writeFileSync(
    file,
    `
station: { id: avail-st-0001, timezone: UTC, openHours: "00:00-24:00" }
cloud: { url: "mqtt://127.0.0.1:1", protocolVersion: 4 }
storage: { path: data/gateway.db }
resources:
  main-door: { device: lock-1, door: 1 }
  cabinet-1: { device: cabinet-1 }
  water-1: { device: water-1 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 } }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${port('cabinet-1')}, unitId: 1 } }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${port('water-1')}, unitId: 2 } }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${port('occupancy-1')}, unitId: 3 } }
`,
  );
  const loaded = loadStationConfig(file, { checkFiles: false });
  const log = silentLogger();
  const lock = new DeviceMonitor({ id: 'lock-1', driver: slowLock(400), pollMs: 100, offlineAfter: 3, log });
  const p = parts.open();
  const published: Availability[] = [];
  const logic: StationLogicWiring = wireStationLogic({
    station: loaded,
    monitors: [lock, sim.device('cabinet-1').monitor, sim.device('water-1').monitor, sim.device('occupancy-1').monitor],
    store: p.store,
    allowDoorOpen: () => undefined,
    recorder: p.recorder,
    alarms: p.alarms,
    publishAvailability: (a) => published.push(structuredClone(a)),
    log,
  });
  cleanups.push(async () => {
    logic.stop();
    await lock.stop();
  });
  return {
    sim,
    published,
    logic,
    start: async () => {
      logic.start();
      await Promise.all([lock.start(), sim.startPolling()]);
    },
  };
}

describe('availability on simulated devices', () => {
  it('the first availability published after boot is the settled one, not a flash of closed', async () => {
    const { published, start } = await station();
    await start();
    await waitFor(() => published.length > 0, 10_000, 'a first availability');
    // Long enough for a second value to follow if the first was a boot default.
    await new Promise((r) => setTimeout(r, 1000));
    const first = published[0];
    expect(first).toMatchObject({ open: true, services: { doors: { usable: true }, water: { ok: true }, occupancy: { inside: 0 } } });
    const ready = (first?.services['batteries'] as { ready: Record<string, number> }).ready;
    expect(Object.values(ready).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(published.map((a) => a.open)).not.toContain(false);
  });

  it('smoke in the cabinet closes the station: open false, doors unusable for entry because of smoke', async () => {
    const { sim, published, start, logic } = await station();
    await start();
    await waitFor(() => published.at(-1)?.open === true, 10_000, 'an open station');
    expect(logic.closedForSafety()).toBeUndefined();
    await sim.sim.command('cabinet-1 smoke on');
    await waitFor(() => published.at(-1)?.open === false, 5000, 'the station closed');
    expect(published.at(-1)).toMatchObject({ open: false, services: { doors: { usable: false, reason: 'smoke' }, batteries: { ready: {} } } });
    // The access decision asks the same station logic: the door refuses workers while smoke holds.
    expect(logic.closedForSafety()).toBe('smoke');
  });
});
