import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import BetterSqlite3 from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { doctorClientId } from '../../../gateway/ops/doctor/broker-checks.js';
import type { CheckResult } from '../../../gateway/ops/doctor/doctor-result.js';
import { checkClock, checkDisk } from '../../../gateway/ops/doctor/host-checks.js';
import { runDoctor } from '../../../gateway/ops/doctor/run-doctor.js';
import { pidFilePath } from '../../../gateway/runtime/gateway-pid-file.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { TimeFloor } from '../../../gateway/store/time-floor.js';
import { startStationSimulator, type StationSimulator } from '../../../simulators/station-simulator.js';
import { freePort } from '../../helpers/free-port.js';
import { distEntry, runNode } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { makePki } from '../../interop/pki.js';

/*
 * `station-gateway doctor` against a station simulated in this process: a healthy one (every
 * check passes) and the same station with one part broken at a time, each named in the table.
 */

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: StationSimulator;
let ports: { cabinet: number; bus: number };
const synced = async (): Promise<boolean> => true;

function stationYaml(overrides: { cloud?: string; cabinetPort?: number; lockPath?: string; db?: string } = {}): string {
  return `
station: { id: doc-st-0001 }
cloud: { ${overrides.cloud ?? `url: ${broker.url}, protocolVersion: 4`} }
storage: { path: ${overrides.db ?? 'data/gateway.db'} }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: ${overrides.lockPath ?? 'tty/lock-1'} } }
  - { id: scanner-1, kind: qr-scanner, transport: { type: serial, path: tty/scanner-1 } }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${overrides.cabinetPort ?? ports.cabinet}, unitId: 1 } }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${ports.bus}, unitId: 2 } }
`;
}

let fileNo = 0;
function stationFile(yaml: string): string {
  const file = join(dir.path, `station-${++fileNo}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

const row = (rows: CheckResult[], check: string): CheckResult | undefined => rows.find((r) => r.check === check);
const failed = (rows: CheckResult[]): string[] => rows.filter((r) => r.status === 'fail').map((r) => r.check);

beforeAll(async () => {
  dir = tempDir();
  broker = await startEmbeddedBroker({ port: 0 });
  ports = { cabinet: await freePort(), bus: await freePort() };
  sim = await startStationSimulator(loadStationConfig(stationFile(stationYaml())), { seed: 5 });
});

afterAll(async () => {
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

describe('station-gateway doctor', () => {
  it('passes every check on a healthy station, prints the table and exits 0', async () => {
    const file = stationFile(stationYaml());
    const { rows, ok } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
    expect(failed(rows)).toEqual([]);
    expect(ok).toBe(true);
    expect(row(rows, 'device cabinet-1')?.detail).toMatch(/^answers in [\d.]+ ms/);
    expect(row(rows, 'device lock-1')?.detail).toMatch(/^answers in [\d.]+ ms/);
    expect(row(rows, 'broker reachable')?.status).toBe('pass');
    expect(row(rows, 'ACL subscribe')?.status).toBe('pass');

    // The command itself, as a crew runs it (no timedatectl in a container: a warning, not a failure).
    const cli = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['doctor', '--config', file]);
    const { code } = await cli.exited;
    expect(cli.output()).toMatch(/^check +result +detail$/m);
    expect(cli.output()).toMatch(/^device water-1 +PASS +answers in/m);
    expect(cli.output()).toMatch(/all \d+ checks passed/);
    expect(code).toBe(0);
  });

  it('names a device that does not answer and a serial port that is missing, and exits 1', async () => {
    const file = stationFile(stationYaml({ cabinetPort: await freePort(), lockPath: 'tty/no-such-port' }));
    const { rows, ok } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
    expect(ok).toBe(false);
    expect(failed(rows).sort()).toEqual(['device cabinet-1', 'device lock-1', `port ${join(dir.path, 'tty/no-such-port')}`].sort());
    expect(row(rows, 'device cabinet-1')?.detail).toMatch(/no answer in 3 tries \(DISCONNECTED/);
    expect(row(rows, 'device lock-1')?.detail).toMatch(/not tried: port .* cannot be opened/);

    const cli = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['doctor', '--config', file]);
    expect((await cli.exited).code).toBe(1);
    expect(cli.output()).toMatch(/^device cabinet-1 +FAIL/m);
    expect(cli.output()).toMatch(/3 of \d+ checks FAILED/);
  });

  it('names an unreachable broker', async () => {
    const file = stationFile(stationYaml({ cloud: `url: mqtt://127.0.0.1:${await freePort()}, protocolVersion: 4` }));
    const { rows } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
    expect(failed(rows)).toEqual(['broker reachable']);
    expect(row(rows, 'broker reachable')?.detail).toMatch(/ECONNREFUSED/);
  });

  it('names a broker whose certificate does not verify against cloud.ca', async () => {
    const pkiDir = (name: string): string => {
      mkdirSync(join(dir.path, name));
      return join(dir.path, name);
    };
    const real = makePki(pkiDir('pki-real'));
    const other = makePki(pkiDir('pki-other'));
    const server: TlsServer = createTlsServer({ cert: readFileSync(real.broker.cert), key: readFileSync(real.broker.key) }, (s) => s.destroy());
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    try {
      const file = stationFile(stationYaml({ cloud: `url: mqtts://127.0.0.1:${port}, protocolVersion: 4, ca: ${other.ca}` }));
      const { rows } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
      expect(failed(rows)).toEqual(['broker TLS']);
      expect(row(rows, 'broker TLS')?.detail).toMatch(/certificate/i);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('names a broker ACL that refuses our command subscription', async () => {
    const aedes = await Aedes.createBroker({ authorizeSubscribe: (_client, _sub, done) => done(null, null) });
    const server: Server = createServer((socket) => aedes.handle(socket));
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    try {
      const file = stationFile(stationYaml({ cloud: `url: mqtt://127.0.0.1:${port}, protocolVersion: 4` }));
      const { rows } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
      expect(failed(rows)).toEqual(['ACL subscribe']);
      expect(row(rows, 'ACL subscribe')?.detail).toMatch(/^stations\/doc-st-0001\/cmd\/\+ refused by the broker/);
      expect(row(rows, 'ACL publish')?.status).toBe('warn');
    } finally {
      await new Promise((r) => server.close(r));
      await new Promise((r) => aedes.close(() => r(undefined)));
    }
  });

  it('names a clock that is not synchronised and one behind the store\'s time floor', async () => {
    const dbPath = join(dir.path, 'floor', 'gateway.db');
    const { db } = openDatabase(dbPath);
    new TimeFloor(db).raise(new Date(Date.now() + 3_600_000), 'ntp');
    db.close();
    const file = stationFile(stationYaml({ db: dbPath }));
    const { rows } = await runDoctor(loadStationConfig(file), { ntpSynchronized: async () => false });
    expect(failed(rows).sort()).toEqual(['clock synchronised', 'clock vs time floor']);
    expect(row(rows, 'clock vs time floor')?.detail).toMatch(/the clock is 3[56]\d\d s behind the newest trusted time seen/);
    expect(row(rows, 'database')?.status).toBe('pass');
  });

  it('names a damaged database, read-only (the file is left as it was)', async () => {
    const dbPath = join(dir.path, 'damaged', 'gateway.db');
    mkdirSync(join(dir.path, 'damaged'));
    const db = new BetterSqlite3(dbPath);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    db.close();
    const bytes = readFileSync(dbPath);
    bytes.fill(0x5a, 0, 16);
    writeFileSync(dbPath, bytes);
    const file = stationFile(stationYaml({ db: dbPath }));
    const { rows } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
    expect(failed(rows)).toEqual(['database']);
    expect(readFileSync(dbPath).equals(bytes)).toBe(true);
  });

  it('connects with its own client id: a client connected as the station stays connected', async () => {
    // Stands in for a gateway doctor cannot see (another box, no pid file): aedes drops the older
    // of two connections with one client id.
    const station = await mqtt.connectAsync(broker.url, { clientId: 'doc-st-0001', protocolVersion: 4, reconnectPeriod: 0 });
    let dropped = false;
    station.on('close', () => (dropped = true));
    try {
      const file = stationFile(stationYaml({ db: join(dir.path, 'own-id', 'gateway.db') }));
      const { rows } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
      expect(row(rows, 'ACL subscribe')?.status).toBe('pass');
      await new Promise((r) => setTimeout(r, 200));
      expect(dropped).toBe(false);
      expect(station.connected).toBe(true);
    } finally {
      await station.endAsync();
    }
    expect(doctorClientId('doc-st-0001')).toMatch(/^doc-st-0001-doctor-[0-9a-f]{8}$/);
  });

  it('leaves devices and broker alone while a gateway runs on the database, and is not fooled by a stale or reused pid', async () => {
    const dbPath = join(dir.path, 'running', 'gateway.db');
    mkdirSync(join(dir.path, 'running'));
    const file = stationFile(stationYaml({ db: dbPath }));
    // A process whose command line is that of `station-gateway run` (the real one is in doctor-beside-gateway.e2e).
    const fake = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '/opt/station-gateway/dist/gateway/cli/station-gateway.js', 'run'], { stdio: 'ignore' });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pidFile = (pid: number): void => writeFileSync(pidFilePath(dbPath), JSON.stringify({ pid, bootId: '01TESTBOOT', startedAt: '2026-12-01T10:00:00.000Z' }));
      pidFile(fake.pid as number);
      const { rows, ok } = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
      expect(row(rows, 'gateway running')).toMatchObject({ status: 'warn', detail: expect.stringMatching(new RegExp(`^pid ${fake.pid}, boot 01TESTBOOT, since 2026-12-01T10:00:00.000Z: devices and broker not probed`)) as unknown });
      expect(row(rows, 'broker (gateway)')?.detail).toMatch(/^not checked while the gateway runs/);
      expect(rows.filter((r) => r.check.startsWith('device ') || r.check.startsWith('broker ') || r.check.startsWith('ACL'))).toEqual([row(rows, 'broker (gateway)')]);
      expect(row(rows, `port ${join(dir.path, 'tty/lock-1')}`)?.status).toBe('pass');
      expect(ok).toBe(true);

      // A pid reused by another program after a reboot, and a pid that is gone: a full check.
      for (const pid of [other.pid as number, 999_999_999]) {
        pidFile(pid);
        const again = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
        expect(row(again.rows, 'gateway running')).toBeUndefined();
        expect(row(again.rows, 'broker reachable')?.status).toBe('pass');
      }
    } finally {
      fake.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });

  it('beside a running gateway, reads its broker link from its /metrics', async () => {
    const dbPath = join(dir.path, 'metrics', 'gateway.db');
    mkdirSync(join(dir.path, 'metrics'));
    let connected = 0;
    const metrics = createHttpServer((_req, res) => res.end(`# HELP station_mqtt_connected x\nstation_mqtt_connected ${connected}\n`));
    const port = await new Promise<number>((resolve) => metrics.listen(0, '127.0.0.1', () => resolve((metrics.address() as { port: number }).port)));
    const fake = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', 'station-gateway.js', 'run'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(pidFilePath(dbPath), JSON.stringify({ pid: fake.pid, bootId: '01TESTBOOT', startedAt: '' }));
      const file = stationFile(`${stationYaml({ db: dbPath })}metrics: { listen: "127.0.0.1:${port}" }\n`);
      const down = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
      expect(row(down.rows, 'broker (gateway)')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/reports its connection to mqtt:\/\/127\.0\.0\.1:\d+ down/) as unknown });
      connected = 1;
      const up = await runDoctor(loadStationConfig(file), { ntpSynchronized: synced });
      expect(row(up.rows, 'broker (gateway)')?.status).toBe('pass');
    } finally {
      fake.kill('SIGKILL');
      await new Promise((r) => metrics.close(r));
    }
  });

  it('judges the clock and the disk by their numbers', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    expect(checkClock({ ntpSynchronized: undefined, floor: { at: new Date('2026-11-28T11:00:00Z'), source: 'broker' }, now }).map((r) => r.status)).toEqual(['warn', 'pass']);
    const mb = 1024 * 1024;
    const disk = (freeMb: number) => checkDisk(join(dir.path, 'x.db'), 512, () => ({ bavail: freeMb, bsize: mb, blocks: 10_000 }));
    expect(disk(10).status).toBe('fail');
    expect(disk(10).detail).toMatch(/^10 MB free of 10000 MB .*: below 64 MB$/);
    expect(disk(100).status).toBe('warn');
    expect(disk(4000).status).toBe('pass');
  });
});
