import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Recorder, tlsClient, type Seen } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * Remote configuration (issue 18) on a real Mosquitto 2 with TLS and the fleet's ACL
 * (docs/broker/mosquitto.conf and acl as documented, this run's paths put in): a real gateway
 * process per station (its certificate's CN is its station id), its devices
 * in station-sim, and the operators' real `station-fleet config push|status` as ops-console.
 * A revision that adds a device is pushed, applied (a restart in the process) and shown applied
 * by status, with the station on MQTT 5 and on 3.1.1, while a worker's unlock by cloud command
 * goes through. Then the ACL: the station's own certificate cannot write its desired
 * configuration, another station's cannot read it, the back end can read reports but not push.
 */

const GATEWAY = distEntry('gateway', 'cli', 'station-gateway.js');
const FLEET = distEntry('fleet', 'cli', 'station-fleet.js');
const SIM = distEntry('simulators', 'cli', 'station-sim.js');
const NOT_AUTHORISED = 0x87;

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
let issuer: IssuerKey;
let signingKey: string;
let stationKeys: string;
const processes: RunningProcess[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = tempDir('remote-config-interop-');
  pki = makePki(join(mkdirp(dir.path, 'pki')));
  broker = new Mosquitto(mkdirp(dir.path, 'broker'), await freePort(), pki);
  await broker.start();
  issuer = await generateIssuerKey('rc-interop-issuer');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [issuer]);
  // The operators' key made with their own tool, as on an operator's desk.
  const keygen = await fleet(['config', 'keygen', '--out', join(dir.path, 'fleet-keys'), '--kid', 'fleet-config-interop']);
  expect(keygen.code, keygen.output).toBe(0);
  signingKey = join(dir.path, 'fleet-keys', 'config.private.jwk.json');
  stationKeys = join(dir.path, 'fleet-keys', 'config-keys.jwks.json');
});

afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  for (const p of processes) await p.stop();
  await broker?.stop();
  dir?.remove();
});

function mkdirp(...parts: string[]): string {
  const path = join(...parts);
  mkdirSync(path, { recursive: true });
  return path;
}

async function fleet(args: string[]): Promise<{ code: number | null; output: string }> {
  const p = runNode(FLEET, args);
  processes.push(p);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

/** The operator's broker options for station-fleet: its own certificate (ops-console). */
function operatorArgs(version: 4 | 5): string[] {
  const ops = pki.client('ops-console');
  return ['--broker', broker.url, '--mqtt', String(version), '--ca', pki.ca, '--cert', ops.cert, '--cert-key', ops.key];
}

async function client(name: string, version: 4 | 5): Promise<MqttClient> {
  const c = await tlsClient(broker, pki, name, version, { reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

async function end(c: MqttClient): Promise<void> {
  clients.splice(clients.indexOf(c), 1);
  await c.endAsync();
}

/** PUBACK's reason code of a QoS 1 publish on MQTT 5 (0 granted, 0x87 not authorised). */
async function pubackCode(c: MqttClient, topic: string, payload: string, retain: boolean): Promise<number> {
  try {
    const ack = (await c.publishAsync(topic, payload, { qos: 1, retain })) as { reasonCode?: number } | undefined;
    return ack?.reasonCode ?? 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** What a fresh subscriber gets of a retained topic within `ms` (nothing when it may not read it). */
async function retainedAs(name: string, version: 4 | 5, topic: string, ms = 1500): Promise<{ granted: number; messages: Seen[] }> {
  const c = await client(name, version);
  const seen = new Recorder(c);
  const granted = await c.subscribeAsync(topic, { qos: 1 });
  await new Promise((r) => setTimeout(r, ms));
  await end(c);
  return { granted: granted[0]?.qos ?? -1, messages: seen.on(topic) };
}

/** One station on the broker: its files, its devices in station-sim, its gateway process. */
class Station {
  readonly S: string;
  gateway: RunningProcess | undefined;
  private ports = { cabinet: 0, water: 0 };

  constructor(
    readonly id: string,
    readonly version: 4 | 5,
  ) {
    this.S = `stations/${id}`;
  }

  /** Made in the suite's temp dir, which exists once beforeAll has run. */
  get home(): string {
    return mkdirp(dir.path, this.id);
  }

  get onSite(): string {
    return join(this.home, 'station.yaml');
  }

  /**
   * The station file, every path absolute (a pushed file names nothing relative to its revision
   * folder). The cloud's attempt budget at its maximum: the door traffic below is workers, not a flood.
   */
  body(extra: string): string {
    const { cert, key } = pki.client(this.id);
    const h = this.home;
    return `station: { id: ${this.id}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
cloud: { url: ${broker.url}, protocolVersion: ${this.version}, heartbeatSeconds: 60, ca: ${pki.ca}, cert: ${cert}, key: ${key} }
storage: { path: ${h}/data/gateway.db }
access: { trustedKeys: ${dir.path}/trusted.jwks.json, clockTrust: system, scansPerMinute: 600 }
resources:
  main-door: { device: lock-1, door: 1, unlockMs: 1000 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: ${h}/tty/lock-1 }, pollMs: 300 }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${this.ports.cabinet}, unitId: 1 }, pollMs: 300 }
${extra}`;
  }

  water(): string {
    return `  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${this.ports.water}, unitId: 2 }, pollMs: 300 }\n`;
  }

  async setUp(): Promise<void> {
    this.ports = { cabinet: await freePort(), water: await freePort() };
    // The bench has every device a revision may add; the gateway starts on fewer.
    const bench = join(this.home, 'bench.yaml');
    writeFileSync(bench, this.body(this.water()));
    const sim = runNode(SIM, ['station', '--config', bench]);
    processes.push(sim);
    await sim.waitForOutput('ready');
    writeFileSync(this.onSite, `${this.body('')}remoteConfig: { keys: ${stationKeys}, stateDir: ${this.home}/state, gateSeconds: 8 }\n`);
  }

  /** How its gateway process ended, or undefined while it runs. */
  exited(): string | undefined {
    const c = this.gateway?.child;
    if (!c || (c.exitCode === null && c.signalCode === null)) return undefined;
    return `exit ${c.exitCode ?? c.signalCode}`;
  }

  async start(): Promise<void> {
    const g = runNode(GATEWAY, ['run', '--config', this.onSite]);
    processes.push(g);
    this.gateway = g;
    await g.waitForOutput('station-gateway ready', 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${g.output().slice(-3000)}`);
    });
  }
}

let correlation = 0;

/** One unlock as the back end sends it for a worker, and its reply (undefined within `ms`: none). */
async function unlock(station: Station, backend: MqttClient, seen: Recorder, ms: number): Promise<Seen | undefined> {
  const id = `rc-${++correlation}`;
  const replyTo = `${station.S}/replies/${id}`;
  const token = await issueToken(issuer, { station: station.id, res: 'main-door', act: 'unlock', sub: `rider-${correlation}` });
  const body = JSON.stringify({ token, replyTo, correlationId: id });
  // Replies on S/replies/... as the ACL allows: MQTT 5 names it as the response topic, 3.1.1 in the payload.
  const opts: IClientPublishOptions = station.version === 5 ? { qos: 1, properties: { responseTopic: replyTo, correlationData: Buffer.from(id) } } : { qos: 1 };
  await backend.publishAsync(`${station.S}/cmd/unlock`, body, opts);
  return seen.waitFor(replyTo, () => true, ms).catch(() => undefined);
}

/** A worker at the door, retrying as the app does while the station restarts into the revision. */
async function unlockDuringApply(station: Station, backend: MqttClient, seen: Recorder): Promise<{ ok: boolean; tries: number }> {
  for (let tries = 1; tries <= 20; tries++) {
    if (station.exited()) return { ok: false, tries };
    if ((await unlock(station, backend, seen, 3_000))?.body['ok'] === true) return { ok: true, tries };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ok: false, tries: 20 };
}

/**
 * Other workers at the door the whole time a push runs: an unlock every 10 ms, and a burst of 50
 * the moment the station says it goes offline to restart into the revision, so that commands
 * reach it as it closes one connection and opens the next. Resolves with how many were sent.
 */
async function doorTraffic(station: Station, backend: MqttClient, seen: Recorder, until: Promise<unknown>, stop: AbortSignal): Promise<number> {
  let done = false;
  void until.finally(() => (done = true));
  const pending: Array<Promise<unknown>> = [];
  const send = (): void => void pending.push(unlock(station, backend, seen, 3_000).catch(() => undefined));
  const onMessage = (topic: string, payload: Buffer): void => {
    if (topic !== `${station.S}/status` || done || stop.aborted) return;
    if (payload.toString('utf8').includes('"online":false')) for (let i = 0; i < 50; i++) send();
  };
  backend.on('message', onMessage);
  while (!done && !stop.aborted && !station.exited()) {
    send();
    await new Promise((r) => setTimeout(r, 10));
  }
  backend.off('message', onMessage);
  await Promise.all(pending);
  return pending.length;
}

const pushed = new Map<string, Station>();

describe.each([
  { id: 'hz-rc-v5', version: 5 as const },
  { id: 'hz-rc-v311', version: 4 as const },
])('a push by station-fleet to a station on MQTT $version', ({ id, version }) => {
  const station = new Station(id, version);
  let backend: MqttClient;
  let seen: Recorder;
  const stopTraffic = new AbortController();
  let push: RunningProcess | undefined;

  beforeAll(async () => {
    await station.setUp();
    // The back end's view (cloud-backend reads stations/#); ops-console is station-fleet's alone,
    // since the broker forces the client id to the CN and a second connection would take it over.
    backend = await client('cloud-backend', version);
    seen = new Recorder(backend);
    await backend.subscribeAsync([`${station.S}/#`], { qos: 1 });
    await station.start();
  }, 60_000);

  afterAll(async () => {
    for (const m of seen?.on(`${station.S}/config`) ?? []) assertContract('config-report', m.body);
    stopTraffic.abort();
    await push?.stop();
    await station.gateway?.stop();
    if (backend) await end(backend);
  });

  it('reports at start, retained, that it runs its on-site file', async () => {
    const r = await seen.waitFor(`${station.S}/config`, () => true, 15_000);
    expect(r.body).toMatchObject({ revision: null, running: null, state: 'applied', problems: [] });
  });

  it('applies a revision pushed with station-fleet config push, a worker gets in meanwhile, and push and status say applied', async () => {
    const sites = mkdirp(dir.path, 'sites');
    writeFileSync(join(sites, `${station.id}.yaml`), station.body(station.water()));
    const from = seen.messages.length;
    const cli = runNode(FLEET, [
      'config', 'push', '--station', station.id, '--file', join(sites, '{station}.yaml'), '--revision', '1', '--key', signingKey,
      '--progress', join(dir.path, `push-${station.id}.progress.jsonl`), '--timeout', '60', ...operatorArgs(version),
    ]);
    push = cli;
    pushed.set(version === 5 ? 'v5' : 'v311', station);
    processes.push(cli);
    const traffic = doorTraffic(station, backend, seen, cli.exited, stopTraffic.signal);
    await seen.waitFor(`${station.S}/config`, (m) => m.body['state'] === 'applying' && m.body['revision'] === 1, 20_000, from).catch((err: unknown) => {
      throw new Error(`${String(err)}\npush: ${cli.output()}\ngateway: ${station.gateway?.output().slice(-3000)}`);
    });
    const worker = await unlockDuringApply(station, backend, seen);
    // A command that reaches the station as it restarts must not bring the gateway down.
    expect(station.exited(), `the gateway exited during the apply:\n${station.gateway?.output().slice(-3000)}`).toBeUndefined();
    expect(worker.ok).toBe(true);

    const { code } = await cli.exited;
    expect(await traffic).toBeGreaterThan(3);
    // A new device needs a restart: the traffic went on while one runtime stopped and the next started.
    expect(station.gateway?.output()).toContain('applying a configuration by restarting the station in this process');
    expect(station.exited(), `the gateway exited during the apply:\n${station.gateway?.output().slice(-3000)}`).toBeUndefined();
    expect(cli.output()).toContain(`${station.id}  applied, runs revision 1`);
    expect(code, cli.output()).toBe(0);
    const done = await seen.waitFor(`${station.S}/config`, (m) => m.body['state'] === 'applied' && m.body['revision'] === 1, 5_000, from);
    expect(done.body).toMatchObject({ running: 1, problems: [] });
    await seen.waitFor(`${station.S}/devices/water-1`, (m) => m.body['online'] === true, 15_000, from);

    const status = await fleet(['config', 'status', '--station', station.id, ...operatorArgs(version)]);
    expect(status.code, status.output).toBe(0);
    expect(status.output).toMatch(new RegExp(`^${station.id} +1 +1 +applied *$`, 'm'));
    expect(status.output).toContain('runs: revision 1: 1');
    // And a worker gets in at the first try on the revision in force.
    const last = await unlock(station, backend, seen, 5_000);
    expect(last?.body, JSON.stringify(last?.body)).toMatchObject({ ok: true });
  }, 90_000);
});

describe('the ACL of remote configuration', () => {
  // The station's own certificate is used with its gateway stopped (the describe blocks above
  // stop theirs): the broker forces the client id to the CN, so it would take the gateway's
  // session over.
  const v5 = (): Station => {
    const s = pushed.get('v5');
    if (!s) throw new Error('nothing was pushed to the MQTT 5 station; see the tests above');
    return s;
  };

  // That a station writes its report is shown above: every S/config came over its own connection.
  it('lets a station read its desired configuration and not write it (MQTT 5 PUBACK 0x87, 3.1.1 dropped)', async () => {
    const s = v5();
    const own = await retainedAs(s.id, 5, `${s.S}/desired/config`);
    expect(own.granted).toBe(1);
    expect(own.messages).toHaveLength(1);
    const signed = own.messages[0]!.body['document'];
    expect(typeof signed).toBe('string');

    const self = await client(s.id, 5);
    expect(await pubackCode(self, `${s.S}/desired/config`, JSON.stringify({ document: 'a.b.c' }), true)).toBe(NOT_AUTHORISED);
    expect(await pubackCode(self, `${s.S}/desired/config`, '', true)).toBe(NOT_AUTHORISED);
    await end(self);
    // On 3.1.1 a refused publish is dropped without a word: the retained document stays the signed one.
    const self311 = await client(s.id, 4);
    await self311.publishAsync(`${s.S}/desired/config`, JSON.stringify({ document: 'a.b.c' }), { qos: 1, retain: true });
    await end(self311);
    const after = await retainedAs('ops-console', 5, `${s.S}/desired/config`);
    expect(after.messages.map((m) => m.body['document'])).toEqual([signed]);
  });

  it('keeps a station\'s desired configuration and reports from other stations', async () => {
    const s = v5();
    const other = pushed.get('v311')?.id ?? 'hz-rc-other';
    for (const version of [5, 4] as const) {
      for (const topic of [`${s.S}/desired/config`, `${s.S}/config`]) {
        // Mosquitto grants the subscription and checks each message against the ACL as it would
        // deliver it: the retained one (the station itself gets it, above) never arrives.
        const r = await retainedAs(other, version, topic);
        expect(r.messages).toEqual([]);
      }
    }
    const stranger = await client(other, 5);
    expect(await pubackCode(stranger, `${s.S}/desired/config`, JSON.stringify({ document: 'a.b.c' }), true)).toBe(NOT_AUTHORISED);
    expect(await pubackCode(stranger, `${s.S}/config`, '{}', true)).toBe(NOT_AUTHORISED);
    await end(stranger);
  });

  it('lets the operators\' tool push and both it and the back end read reports; the back end cannot push', async () => {
    const s = v5();
    for (const name of ['ops-console', 'cloud-backend']) {
      const r = await retainedAs(name, 5, `${s.S}/config`);
      expect(r.messages.map((m) => m.body['revision'])).toEqual([1]);
    }
    const backend = await client('cloud-backend', 5);
    expect(await pubackCode(backend, `${s.S}/desired/config`, '', true)).toBe(NOT_AUTHORISED);
    await end(backend);
    const ops = await client('ops-console', 5);
    // Granted: a retained copy of the document already there (the same bytes change nothing).
    const current = (await retainedAs('cloud-backend', 5, `${s.S}/desired/config`)).messages[0]?.body['document'];
    expect(await pubackCode(ops, `${s.S}/desired/config`, JSON.stringify({ document: current }), true)).toBe(0);
    await end(ops);
  });
});
