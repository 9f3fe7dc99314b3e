import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { freePort } from './free-port.js';
import { distEntry, runNode, type RunningProcess } from './processes.js';

/*
 * A door station as separate processes: station-sim (a door lock and QR scanners on ptys) with its
 * control API, and a real `station-gateway run` of the same station file. For the access tests
 * that scan codes at the simulated scanner and read what the station decided from its usage log.
 */

export interface DoorStationOptions {
  station: string;
  /** `station.code`, the short code on the door that rolling codes are signed for. */
  code?: string;
  /** `cloud.url`; default a free port on 127.0.0.1 that nothing listens on (a door with no signal). */
  cloudUrl?: string;
  /** `access.trustedKeys`, relative to the station file or absolute; default `trusted.jwks.json`. */
  trustedKeys?: string;
  /** `main-door`'s unlockMs. */
  unlockMs: number;
  /** The QR scanners' ids, each on its own pty; default `['scanner-1']`. */
  scanners?: readonly string[];
}

const DEFAULT_SCANNERS = ['scanner-1'];

/** The station file: `lock-1` with `main-door` on door 1, and the scanners, all on ptys under `tty/`. */
export function doorStationYaml(o: DoorStationOptions & { cloudUrl: string }): string {
  const station = [`id: ${o.station}`, ...(o.code === undefined ? [] : [`code: ${o.code}`]), 'timezone: Asia/Shanghai'].join(', ');
  const scanners = (o.scanners ?? DEFAULT_SCANNERS).map((id) => `  - { id: ${id}, kind: qr-scanner, transport: { type: serial, path: tty/${id} }, pollMs: 1000 }\n`);
  return `
station: { ${station} }
cloud: { url: ${JSON.stringify(o.cloudUrl)}, protocolVersion: 4, heartbeatSeconds: 60 }
storage: { path: data/gateway.db }
access: { trustedKeys: ${JSON.stringify(o.trustedKeys ?? 'trusted.jwks.json')}, clockTrust: system }
resources:
  main-door: { device: lock-1, door: 1, unlockMs: ${o.unlockMs} }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 }, pollMs: 300 }
${scanners.join('')}`;
}

export interface DoorStation {
  sim: RunningProcess;
  /** The running gateway; a new one after `restartGateway()`. */
  readonly gateway: RunningProcess;
  /** station-sim's control API, `http://127.0.0.1:<port>`. */
  control: string;
  configFile: string;
  /** The usage log, `<dir>/data/gateway.db` (there once the gateway is ready). */
  dbFile: string;
  /** Kills the gateway (SIGKILL, as a power cut) and starts it again on the same file, once ready. */
  restartGateway(): Promise<RunningProcess>;
  /** Kills the gateway and stops station-sim (SIGTERM, so it closes the socat behind its ptys). */
  stop(): Promise<void>;
}

const STARTUP_MS = 20_000;

/**
 * Ready, and reading the lock and every scanner: "ready" comes before the first poll, and a scan
 * written to a pty the gateway has not opened yet is lost, as it would be at a real door.
 */
async function startGateway(configFile: string, devices: readonly string[]): Promise<RunningProcess> {
  const gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile]);
  try {
    await gateway.waitForOutput('station-gateway ready', STARTUP_MS);
    for (const id of devices) await gateway.waitForOutput(new RegExp(`"device":"${id}".*"msg":"device online"`), STARTUP_MS);
  } catch (err) {
    await gateway.kill();
    throw err;
  }
  return gateway;
}

/** Writes `<dir>/station.yaml`, starts station-sim and then the gateway, and resolves once both are ready. */
export async function startDoorStation(o: DoorStationOptions & { dir: string }): Promise<DoorStation> {
  const configFile = join(o.dir, 'station.yaml');
  writeFileSync(configFile, doorStationYaml({ ...o, cloudUrl: o.cloudUrl ?? `mqtt://127.0.0.1:${await freePort()}` }));
  const devices = ['lock-1', ...(o.scanners ?? DEFAULT_SCANNERS)];
  const controlPort = await freePort();
  const sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', configFile, '--control-port', String(controlPort)]);
  let gateway: RunningProcess;
  try {
    await sim.waitForOutput('control:', STARTUP_MS);
    gateway = await startGateway(configFile, devices);
  } catch (err) {
    // A start that fails half way leaves nothing running for the test's cleanup to miss.
    await sim.stop();
    throw err;
  }
  return {
    sim,
    get gateway() {
      return gateway;
    },
    control: `http://127.0.0.1:${controlPort}`,
    configFile,
    dbFile: join(o.dir, 'data', 'gateway.db'),
    async restartGateway() {
      await gateway.kill();
      gateway = await startGateway(configFile, devices);
      return gateway;
    },
    async stop() {
      await gateway.kill();
      await sim.stop();
    },
  };
}

export interface SimReply {
  ok: boolean;
  status: number;
  /** The reply parsed as JSON, or its text if it is not JSON. */
  body: unknown;
}

/** One command to station-sim's control API, as typed at its prompt (e.g. `lock-1 door 1 open`). */
export async function simCommand(control: string, command: string): Promise<SimReply> {
  const res = await fetch(`${control}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command }) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text is the reply.
  }
  return { ok: res.ok, status: res.status, body };
}

/**
 * What a scanner sends on its wire for `text`: the text and its line end, as raw bytes. Raw, not a
 * typed `scan` line: base45 rolling codes hold spaces, which a typed line may not keep.
 */
export function scanText(control: string, scanner: string, text: string): Promise<SimReply> {
  return simCommand(control, `${scanner} raw ${Buffer.from(`${text}\r\n`, 'latin1').toString('hex')}`);
}

/** A door's bolt as the simulated lock reports it: `locked`, `unlocked`, or `?` if there is no such door. */
export async function doorBolt(control: string, door = 1): Promise<string> {
  return (await lockDoor(control, door))?.bolt ?? '?';
}

/**
 * How many times the simulated lock released `door` since it started: a release is seen however
 * short it was and however late the test looks, where the bolt is only unlocked for unlockMs.
 */
export async function doorReleases(control: string, door = 1): Promise<number> {
  return (await lockDoor(control, door))?.releases ?? 0;
}

async function lockDoor(control: string, door: number): Promise<{ bolt: string; releases: number } | undefined> {
  const res = await fetch(`${control}/devices/lock-1`);
  const body = (await res.json()) as { doors: Array<{ number: number; bolt: string; releases: number }> };
  return body.doors.find((d) => d.number === door);
}

export type AccessEventData = Record<string, unknown>;

/**
 * The data of the usage log's access events of `type`, oldest first: from an open database, or
 * from the file, opened read-only for this one read. `undelivered`: only those the cloud has not had.
 */
export function accessEvents(db: Database | string, type: 'access.granted' | 'access.denied', options: { undelivered?: boolean } = {}): AccessEventData[] {
  const open = typeof db === 'string' ? new BetterSqlite3(db, { readonly: true }) : db;
  try {
    const sql = `SELECT data FROM events WHERE type = ?${options.undelivered ? ' AND delivered_at IS NULL' : ''} ORDER BY seq`;
    return (open.prepare(sql).pluck().all(type) as string[]).map((d) => JSON.parse(d) as AccessEventData);
  } finally {
    if (typeof db === 'string') open.close();
  }
}
