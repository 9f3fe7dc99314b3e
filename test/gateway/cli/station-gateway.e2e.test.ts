import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { freePort } from '../../helpers/free-port.js';
import { MqttRecorder } from '../../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * The walking skeleton end to end, as separate processes over real sockets and ptys:
 * station-sim simulates a station, the gateway reads it and reports to the broker.
 */

const STATION = 'e2e-st-0001';
const S = `stations/${STATION}`;
const DEVICES = ['lock-1', 'scanner-1', 'cabinet-1', 'water-1', 'occupancy-1'];

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: RunningProcess;
let configFile: string;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  dir = tempDir();
  broker = await startEmbeddedBroker({ port: 0 });
  const [cabinetPort, busPort] = [await freePort(), await freePort()];
  configFile = join(dir.path, 'station.yaml');
  writeFileSync(
    configFile,
    `
station: { id: ${STATION} }
cloud: { url: ${broker.url}, protocolVersion: 4, heartbeatSeconds: 60 }
storage: { path: data/gateway.db }
resources:
  main-door: { device: lock-1, door: 1 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 }, pollMs: 500 }
  - { id: scanner-1, kind: qr-scanner, transport: { type: serial, path: tty/scanner-1 }, pollMs: 500 }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinetPort}, unitId: 1 }, pollMs: 500 }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${busPort}, unitId: 2 }, pollMs: 500 }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${busPort}, unitId: 3 }, pollMs: 500 }
`,
  );
  sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', configFile]);
  await sim.waitForOutput('ready');
});

afterAll(async () => {
  for (const p of processes) await p.kill();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

function startGateway(): RunningProcess {
  const p = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile]);
  processes.push(p);
  return p;
}

describe('station-gateway run, against station-sim and the embedded broker', () => {
  it('reports the station online and every device with real values, retained, within 10 s', async () => {
    const recorder = await MqttRecorder.connect(broker.url);
    try {
      const gateway = startGateway();
      const status = await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true, 10_000);
      expect((status.body['devices'] as unknown[]).length).toBe(DEVICES.length);
      for (const id of DEVICES) await recorder.waitFor(`${S}/devices/${id}`, (m) => m.body['online'] === true, 10_000);

      // A subscriber that arrives later gets the retained picture at once.
      const late = await MqttRecorder.connect(broker.url);
      try {
        const retained = await late.waitFor(`${S}/devices/cabinet-1`);
        expect(retained.retain).toBe(true);
        const points = retained.body['points'] as { slotCount: number; slots: Array<{ state: string; soc: number }> };
        expect(points.slotCount).toBe(8);
        expect(points.slots).toHaveLength(8);
        const lock = (await late.waitFor(`${S}/devices/lock-1`)).body['points'] as { doors: Record<string, { bolt: string }> };
        expect(lock.doors['1']?.bolt).toBe('locked');
        const water = (await late.waitFor(`${S}/devices/water-1`)).body['points'] as { tankLevel: number; session: string };
        expect(water.tankLevel).toBeGreaterThan(0);
        expect(water.session).toBe('idle');
        const occ = (await late.waitFor(`${S}/devices/occupancy-1`)).body;
        expect(occ).toMatchObject({ kind: 'occupancy', model: 'OCC-REF', health: { errors: { timeout: 0 } } });
        expect((await late.waitFor(`${S}/status`)).retain).toBe(true);
      } finally {
        await late.close();
      }

      const events = await recorder.waitFor(`${S}/events`, (m) => m.body['type'] === 'gateway.started');
      expect(events.body['id']).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      await gateway.kill();
    } finally {
      await recorder.close();
    }
  });

  it('SIGKILL: the broker publishes the Last Will, online:false with the bootId', async () => {
    const recorder = await MqttRecorder.connect(broker.url);
    try {
      const from = recorder.messages.length;
      const gateway = startGateway();
      const birth = await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true && !m.retain, 10_000, from);
      gateway.child.kill('SIGKILL');
      const will = await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === false && m.body['bootId'] === birth.body['bootId'], 10_000, from);
      expect(will.body).toEqual({ online: false, bootId: birth.body['bootId'] });
    } finally {
      await recorder.close();
    }
  });

  it('SIGTERM: flushes, says offline, closes the database and exits 0 within 5 s', async () => {
    const recorder = await MqttRecorder.connect(broker.url);
    try {
      const from = recorder.messages.length;
      const gateway = startGateway();
      const birth = await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true && !m.retain, 10_000, from);
      await recorder.waitFor(`${S}/events`, (m) => m.body['type'] === 'device.online', 10_000, from);
      const t0 = Date.now();
      gateway.child.kill('SIGTERM');
      const exit = await gateway.exited;
      const took = Date.now() - t0;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(took).toBeLessThan(5000 + 1000); // the contract's bound, not a performance figure
      const off = await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === false && m.body['bootId'] === birth.body['bootId'], 5000, from);
      expect(off.body).toMatchObject({ online: false, bootId: birth.body['bootId'] });
      expect(String(off.body['ts'])).toMatch(/Z$/);
      expect(gateway.output()).toContain('"msg":"store closed"');

      // The database is closed cleanly (WAL checkpointed) and every event reached the broker.
      const db = new BetterSqlite3(join(dir.path, 'data', 'gateway.db'), { readonly: true });
      try {
        expect(db.prepare('SELECT count(*) FROM events WHERE delivered_at IS NULL').pluck().get()).toBe(0);
        const types = db.prepare('SELECT type FROM events ORDER BY seq').pluck().all();
        expect(types.filter((t) => t === 'gateway.started').length).toBeGreaterThanOrEqual(3);
      } finally {
        db.close();
      }
    } finally {
      await recorder.close();
    }
  });

  it('refuses a broken config with exit code 2 and one line per problem, no stack trace', async () => {
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'station: { id: NOPE }\ncloud: { url: ftp://x }\nstorage: {}\ndevices: []\n');
    const p = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', bad]);
    const exit = await p.exited;
    expect(exit.code).toBe(2);
    const lines = p.output().trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/bad\.yaml:1: station\.id: must be/),
      expect.stringMatching(/bad\.yaml:2: cloud\.url: must be mqtt:\/\/host:port/),
      expect.stringMatching(/bad\.yaml:3: storage\.path: is required/),
      expect.stringMatching(/bad\.yaml:4: devices: must be at least 1 entries/),
      '4 problems in the configuration',
    ]);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });
});
