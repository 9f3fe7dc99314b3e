import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { loadStation, type LoadedStation } from '../../../config/load-station-config.js';
import { composeStation } from '../../../gateway/runtime/compose-station.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { generateIssuerKey, writeTrustedKeys } from '../../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../../simulators/station-simulator.js';
import { freePort } from '../../helpers/free-port.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * The composition root as `run` uses it: a station of a cabinet, a dispenser, an occupancy
 * sensor and a smoke detector on simulators over TCP, and the embedded broker.
 */

let dir: ReturnType<typeof tempDir> | undefined;
let broker: EmbeddedBroker | undefined;
let sim: StationSimulator | undefined;

afterEach(async () => {
  await sim?.stop();
  await broker?.close();
  dir?.remove();
  sim = undefined;
  broker = undefined;
  dir = undefined;
});

async function station(): Promise<LoadedStation> {
  dir = tempDir('compose-');
  broker = await startEmbeddedBroker({ port: 0 });
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [await generateIssuerKey('compose-issuer')]);
  const [line, cabinet] = [await freePort(), await freePort()];
  const file = join(dir.path, 'station.yaml');
  writeFileSync(
    file,
    `station: { id: compose-1, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
cloud: { url: ${broker.url}, protocolVersion: 4 }
storage: { path: data/gateway.db }
access: { trustedKeys: trusted.jwks.json, clockTrust: system }
resources:
  cabinet-1: { device: cabinet-1 }
  water-1: { device: water-1 }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinet}, unitId: 1 }, pollMs: 200 }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${line}, unitId: 2 }, pollMs: 200 }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${line}, unitId: 3 }, pollMs: 200 }
`,
  );
  const loaded = await loadStation(file);
  sim = await startStationSimulator(loaded, { seed: 3 });
  return loaded;
}

describe('the composition root', () => {
  it('orders a whole station by what each part needs', async () => {
    const composed = composeStation(await station(), { log: silentLogger(), version: 'test', env: {} });
    expect(composed.parts.order().map((p) => p.name)).toEqual(['store', 'records', 'devices', 'bridge', 'upkeep', 'presence', 'doors', 'ops', 'station-logic', 'access']);
    // Doctor's selection: the devices alone. The fleet simulator's: the bridge and what it needs.
    expect(composed.parts.order(['devices']).map((p) => p.name)).toEqual(['devices']);
    expect(composed.parts.order(['bridge']).map((p) => p.name)).toEqual(['store', 'records', 'devices', 'bridge']);
  });

  it('starts a station whose first event is gateway.started, and stops it leaving no listener behind and nothing undelivered', async () => {
    const loaded = await station();
    const composed = composeStation(loaded, { log: silentLogger(), version: 'test', env: {} });
    await composed.parts.start();
    const monitors = composed.devices.monitors;
    const listening = (): number => monitors.reduce((n, m) => n + m.eventNames().reduce((k, e) => k + m.listenerCount(e), 0), 0);
    expect(listening(), 'presence, doors, access, the bridge and the station logic follow the devices').toBeGreaterThan(0);
    const alarms = composed.records.alarms;
    expect(alarms.listenerCount('changed')).toBeGreaterThan(0);
    await waitFor(() => monitors.every((m) => m.state().online), 10_000, 'every device online');
    await waitFor(() => composed.storage.store.outbox.pendingCount() === 0, 10_000, 'every event delivered');

    await composed.parts.stop();
    expect(listening()).toBe(0);
    expect(alarms.listenerCount('changed')).toBe(0);
    const db = new BetterSqlite3(loaded.config.storage.path, { readonly: true });
    try {
      const types = db.prepare('SELECT type FROM events ORDER BY seq').pluck().all() as string[];
      expect(types[0]).toBe('gateway.started');
      expect(types.filter((t) => t === 'device.online')).toHaveLength(3);
      expect(db.prepare('SELECT count(*) FROM events WHERE delivered_at IS NULL').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  }, 30_000);

  it('hands its clock to every part that waits: with time stopped, devices are opened but not polled', async () => {
    const clock = new FakeClock();
    const composed = composeStation(await station(), { log: silentLogger(), version: 'test', env: {}, storePath: ':memory:', clock });
    try {
      await composed.parts.start();
      const monitors = composed.devices.monitors;
      await composed.devices.opened();
      await new Promise((r) => setTimeout(r, 300));
      expect(monitors.filter((m) => m.state().online)).toEqual([]);
      // Polls, swap and water timers, the smoke hold, the time floor's tick: all on the one clock.
      expect(clock.pending()).toBeGreaterThanOrEqual(monitors.length + 1);
      for (let i = 0; i < 20 && !monitors.every((m) => m.state().online); i++) {
        await clock.advanceSettling(250);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(monitors.every((m) => m.state().online)).toBe(true);
    } finally {
      await composed.parts.stop();
    }
    expect(clock.pending(), 'every timer cancelled at stop').toBe(0);
  }, 30_000);

  it('leaves nothing open when a part fails to start: a trusted keys file that is not there', async () => {
    const loaded = await station();
    const composed = composeStation({ ...loaded, config: { ...loaded.config, access: { ...loaded.config.access!, trustedKeys: join(dir!.path, 'missing.jwks.json') } } }, { log: silentLogger(), version: 'test', env: {} });
    await expect(composed.parts.start()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    // The store was opened and is closed again, its pid file gone: doctor sees no gateway running.
    expect(existsSync(loaded.config.storage.path)).toBe(true);
    expect(existsSync(`${loaded.config.storage.path}.pid`)).toBe(false);
    expect(() => composed.storage.store.outbox.pendingCount()).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
  }, 30_000);
});
