import { spawn } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAliveClock } from '../../config/clock.js';
import { certificateExpiry } from '../../gateway/enrolment/certificate.js';
import { CertificateRenewal } from '../../gateway/enrolment/certificate-renewal.js';
import { makeKeyAndCsr } from '../../gateway/enrolment/csr.js';
import { pemBlocks, toPem } from '../../gateway/enrolment/pem.js';
import { mqttEnrolmentLink } from '../../gateway/enrolment/enrolment-link.js';
import { KeyStore } from '../../gateway/enrolment/key-store.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { EnrolmentBroker } from './enrolment-broker.js';
import { Recorder } from './interop-clients.js';
import { makePki, type Pki } from './pki.js';

/*
 * Enrolment end to end (issue 18) on a real Mosquitto 2 with both listeners of
 * docs/broker/mosquitto-enrol.conf and the documented ACLs, the real enrolment service process
 * (`station-fleet enrol serve`, OpenSSL signing) and real box processes (`station-gateway enrol`):
 * a box with only a claim enrols and then runs as itself (`station-gateway run` on the station file
 * it was sent); a claim of one use is refused the second time, across a kill -9 of the service, and
 * that box writes nothing; a CSR whose signature does not verify is refused; a claim's account reaches nothing but
 * its own enrol/ tree; a certificate near expiry is renewed over the station's own mTLS
 * connection and the station connects with the new one, the old one kept until then.
 */

const GATEWAY = distEntry('gateway', 'cli', 'station-gateway.js');
const FLEET = distEntry('fleet', 'cli', 'station-fleet.js');

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: EnrolmentBroker;
let serviceFile: string;
let service: RunningProcess | undefined;
const processes: RunningProcess[] = [];
const clients: MqttClient[] = [];
const secrets = { 'batch-many': randomBytes(12).toString('hex'), 'batch-once': randomBytes(12).toString('hex') };

beforeAll(async () => {
  dir = tempDir('enrol-interop-');
  pki = makePki(dir.path);
  pki.client('enrol-service');
  pki.client('ops-console');
  broker = new EnrolmentBroker(join(dir.path, 'broker'), await freePort(), await freePort(), pki);
  for (const [claim, secret] of Object.entries(secrets)) broker.addClaim(claim, secret);
  await broker.start();

  const svc = join(dir.path, 'service');
  mkdirSync(svc);
  writeFileSync(
    join(svc, 'template.yaml'),
    `# The station file every box of the batch gets; station.id is set per station.
station: { id: template }
cloud: { url: ${broker.stationUrl}, protocolVersion: 5 }
storage: { path: data/gateway.db }
devices:
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 3 }, pollMs: 1000 }
`,
  );
  // A 30-day certificate is due at once for a station that renews 40 days ahead.
  writeFileSync(join(svc, 'renewing.yaml'), readFileSync(join(svc, 'template.yaml'), 'utf8').replace('protocolVersion: 5 }', 'protocolVersion: 5, renewBeforeDays: 40 }'));
  // Good YAML with a station section (the service takes it), which `validate` refuses.
  writeFileSync(join(svc, 'broken.yaml'), readFileSync(join(svc, 'template.yaml'), 'utf8').replace('station: { id: template }', 'station: { id: template, openHours: "25:00-26:00" }'));
  const service = pki.client('enrol-service');
  serviceFile = join(svc, 'service.yaml');
  writeFileSync(
    serviceFile,
    `broker: { url: ${broker.stationUrl}, ca: ${pki.ca}, cert: ${service.cert}, key: ${service.key} }
ca: { cert: ${pki.ca}, key: ${join(pki.dir, 'ca.key')} }
validityDays: 30
stateFile: state.json
claims:
  batch-many:
    uses: 10
    template: template.yaml
    stations:
      - { hardwareId: 0123456789abcdef0123456789abcd01, stationId: hz-enrol-1 }
      - { hardwareId: 0123456789abcdef0123456789abcd02, stationId: hz-enrol-2 }
      - { code: K7F3-22QP, stationId: hz-enrol-3 }
      - { hardwareId: 0123456789abcdef0123456789abcd03, stationId: hz-enrol-4, template: broken.yaml }
      - { hardwareId: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1, stationId: hz-enrol-5 }
      - { hardwareId: 0123456789abcdef0123456789abcd06, stationId: hz-enrol-6, template: renewing.yaml }
  batch-once:
    uses: once
    template: template.yaml
    stations:
      - { hardwareId: 0123456789abcdef0123456789abcd11, stationId: hz-once-1 }
      - { hardwareId: 0123456789abcdef0123456789abcd12, stationId: hz-once-2 }
`,
  );
  await startService();
});

afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  for (const p of processes) await p.stop();
  await broker?.stop();
  dir?.remove();
});

async function startService(): Promise<void> {
  service = runNode(FLEET, ['enrol', 'serve', '--config', serviceFile]);
  processes.push(service);
  await service.waitForOutput('enrolment service ready', 20_000);
}

/** A new box: a claim file, its secret, the enrolment broker's CA, a machine id; nothing else. */
function newBox(name: string, claim: keyof typeof secrets, hardwareId: string, extra = ''): string {
  const box = join(dir.path, name);
  mkdirSync(box);
  writeFileSync(join(box, 'claim.secret'), `${secrets[claim]}\n`, { mode: 0o600 });
  writeFileSync(join(box, 'machine-id'), `${hardwareId}\n`);
  writeFileSync(join(box, 'enrol-ca.crt'), readFileSync(pki.ca));
  writeFileSync(
    join(box, 'claim.yaml'),
    `broker: { url: ${broker.claimUrl}, ca: enrol-ca.crt }
claim: { id: ${claim}, secretFile: claim.secret${extra} }
hardwareIdFile: machine-id
keysDir: keys
stationFile: station.yaml
replyTimeoutSeconds: 15
`,
  );
  return box;
}

/** The real CLI as its own process, as a box's first start runs it. */
async function gatewayCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [GATEWAY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, output };
}

/** `station-gateway enrol -c claim.yaml` in the box's folder. */
function enrol(box: string): Promise<{ code: number | null; output: string }> {
  return gatewayCli(['enrol', '-c', join(box, 'claim.yaml')]);
}

/** A client with a certificate of the test's PKI (its CN is its user name and client id). */
async function certClient(name: string): Promise<MqttClient> {
  const { cert, key } = pki.client(name);
  const c = await mqtt.connectAsync(broker.stationUrl, { protocolVersion: 5, ca: readFileSync(pki.ca), cert: readFileSync(cert), key: readFileSync(key), reconnectPeriod: 0, clean: true });
  clients.push(c);
  return c;
}

/** A client with the station's own files, as the gateway connects. */
async function asStation(keys: KeyStore, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.stationUrl, {
    protocolVersion: 5,
    ca: readFileSync(keys.paths.ca),
    cert: readFileSync(keys.paths.cert),
    key: readFileSync(keys.paths.key),
    reconnectPeriod: 0,
    clean: true,
    ...extra,
  });
  clients.push(c);
  return c;
}

async function pubackCode(c: MqttClient, topic: string): Promise<number> {
  try {
    const ack = (await c.publishAsync(topic, '{}', { qos: 1 })) as { reasonCode?: number } | undefined;
    return ack?.reasonCode ?? 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

describe('station-gateway enrol on the command line', () => {
  it('is listed in station-gateway --help, has a usage of its own, and wants its claim file', async () => {
    const help = await gatewayCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/^ {2}enrol --config CLAIM_FILE +a new box's first start/m);
    const own = await gatewayCli(['enrol', '--help']);
    expect(own.code).toBe(0);
    expect(own.output).toContain('Usage: station-gateway enrol --config CLAIM_FILE');
    const bare = await gatewayCli(['enrol']);
    expect(bare).toEqual({ code: 2, output: 'station-gateway enrol: --config CLAIM_FILE is required\n' });
    // A missing claim file is the claim file's problem (exit 2), before any broker is asked.
    const missing = await gatewayCli(['enrol', '--config', join(dir.path, 'no-such-claim.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('no-such-claim.yaml');
  });
});

describe('a box with only a claim', () => {
  it('enrols, gets its certificate and station file, and then runs as itself on the mTLS listener', async () => {
    const box = newBox('box-1', 'batch-many', '0123456789abcdef0123456789abcd01');
    const r = await enrol(box);
    expect(r.output).toContain('ok: station hz-enrol-1');
    expect(r.code).toBe(0);

    const keys = new KeyStore(join(box, 'keys'));
    const cert = new X509Certificate(readFileSync(keys.paths.cert));
    expect(cert.subject).toBe('CN=hz-enrol-1');
    expect(cert.checkIssued(new X509Certificate(readFileSync(pki.ca)))).toBe(true);
    expect(statSync(keys.paths.key).mode & 0o777).toBe(0o600);
    const station = parse(readFileSync(join(box, 'station.yaml'), 'utf8')) as { station: { id: string }; cloud: Record<string, unknown> };
    expect(station.station.id).toBe('hz-enrol-1');
    expect(station.cloud).toMatchObject({ url: broker.stationUrl, ca: keys.paths.ca, cert: keys.paths.cert, key: keys.paths.key });
    expect(readFileSync(join(box, 'station.yaml'), 'utf8')).toContain('# The station file every box of the batch gets');

    // The box runs on what it was sent: the real gateway, as itself.
    const ops = await certClient('ops-console');
    clients.push(ops);
    const seen = new Recorder(ops);
    await ops.subscribeAsync('stations/hz-enrol-1/status', { qos: 1 });
    const gateway = runNode(GATEWAY, ['run', '--config', join(box, 'station.yaml')]);
    processes.push(gateway);
    await seen.waitFor('stations/hz-enrol-1/status', (m) => m.body.online === true, 30_000);
    await gateway.stop();

    // Its certificate's ACL is the station's: its own tree yes, another station's no (MQTT 5 0x87).
    const self = await asStation(keys);
    expect(await pubackCode(self, 'stations/hz-enrol-1/events')).toBe(0);
    expect(await pubackCode(self, 'stations/hz-enrol-2/events')).toBe(0x87);
    expect(await pubackCode(self, 'enrol/batch-many/abcdefgh/reply')).toBe(0x87);
    await self.endAsync();
  });

  it('enrols with a one-time code of the plan, once', async () => {
    const first = await enrol(newBox('box-code-1', 'batch-many', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', ', code: K7F3-22QP'));
    expect(first.output).toContain('ok: station hz-enrol-3');
    const again = newBox('box-code-2', 'batch-many', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', ', code: K7F3-22QP');
    const second = await enrol(again);
    expect(second.output).toContain('station-gateway enrol: ENROL_CODE_USED:');
    expect(second.code).toBe(1);
    expect(readdirSync(again).sort()).toEqual(['claim.secret', 'claim.yaml', 'enrol-ca.crt', 'machine-id']);
  });

  it('is refused a claim of one use the second time, also after the service was killed (-9) and restarted, and writes nothing', async () => {
    const first = await enrol(newBox('box-once-1', 'batch-once', '0123456789abcdef0123456789abcd11'));
    expect(first.output).toContain('ok: station hz-once-1');
    await service?.kill();
    await startService();
    const box = newBox('box-once-2', 'batch-once', '0123456789abcdef0123456789abcd12');
    const second = await enrol(box);
    expect(second.output).toContain('station-gateway enrol: ENROL_CLAIM_SPENT: refused by the enrolment service: claim batch-once has been used 1 time of 1');
    expect(second.code).toBe(1);
    expect(readdirSync(box).sort()).toEqual(['claim.secret', 'claim.yaml', 'enrol-ca.crt', 'machine-id']);
    expect(existsSync(join(box, 'keys'))).toBe(false);
  });

  it('is refused when its hardware id is not in the plan, or its claim secret is wrong; nothing is written', async () => {
    const unplanned = newBox('box-unplanned', 'batch-many', 'ffffffffffffffffffffffffffffffff');
    const r = await enrol(unplanned);
    expect(r.output).toContain('ENROL_NOT_IN_PLAN');
    expect(r.code).toBe(1);
    const wrong = newBox('box-wrong-secret', 'batch-many', '0123456789abcdef0123456789abcd02');
    writeFileSync(join(wrong, 'claim.secret'), 'not-the-secret\n');
    const w = await enrol(wrong);
    expect(w.output).toMatch(/ENROL_CONNECT: cannot connect to .* as claim batch-many: .*(Bad User Name or Password|Not authorized)/);
    expect(w.code).toBe(1);
    for (const box of [unplanned, wrong]) expect(existsSync(join(box, 'station.yaml')) || existsSync(join(box, 'keys'))).toBe(false);
  });

  it('keeps nothing of an answer whose station file does not validate', async () => {
    const box = newBox('box-broken', 'batch-many', '0123456789abcdef0123456789abcd03');
    const r = await enrol(box);
    expect(r.output).toMatch(/station-gateway enrol: ENROL_BAD_REPLY: the station file sent does not validate: station.openHours: /);
    expect(r.code).toBe(1);
    expect(readdirSync(box).sort()).toEqual(['claim.secret', 'claim.yaml', 'enrol-ca.crt', 'machine-id']);
  });

  it('exits 2 without asking anything when the box is enrolled already', async () => {
    const box = join(dir.path, 'box-1');
    const r = await enrol(box);
    expect(r.output).toContain('ENROL_EXISTS');
    expect(r.code).toBe(2);
  });
});

describe('the claim listener and its ACL', () => {
  async function asClaim(claim: keyof typeof secrets): Promise<MqttClient> {
    const c = await mqtt.connectAsync(broker.claimUrl, { protocolVersion: 5, username: claim, password: secrets[claim], ca: readFileSync(pki.ca), clientId: `enrol-test-${randomBytes(4).toString('hex')}`, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  it('refuses a CSR whose signature does not verify, on the request\'s own reply topic', async () => {
    const c = await asClaim('batch-many');
    const { csrPem } = await makeKeyAndCsr('x');
    const der = pemBlocks(csrPem, 'CERTIFICATE REQUEST')[0]!;
    der[der.length - 1] = (der[der.length - 1]! ^ 0x01) & 0xff;
    const replies = new Recorder(c);
    await c.subscribeAsync('enrol/batch-many/badcsr-01/reply', { qos: 1 });
    const request = { requestId: 'badcsr-01', csr: toPem('CERTIFICATE REQUEST', der), hardwareId: '0123456789abcdef0123456789abcd02' };
    await c.publishAsync('enrol/batch-many/badcsr-01/request', JSON.stringify(request), { qos: 1 });
    const reply = await replies.waitFor('enrol/batch-many/badcsr-01/reply', (m) => (m.body.error as { code?: string } | undefined)?.code === 'ENROL_BAD_CSR');
    expect(reply.body).toEqual({ ok: false, requestId: 'badcsr-01', error: { code: 'ENROL_BAD_CSR', message: 'the request\'s self-signature does not verify with its public key' } });
  });

  it('lets a claim reach its own enrol/<id>/ tree only: not another claim\'s, not the stations\'', async () => {
    const c = await asClaim('batch-many');
    expect(await pubackCode(c, 'enrol/batch-once/abcdefgh/request')).toBe(0x87);
    expect(await pubackCode(c, 'enrol/batch-many/abcdefgh/reply')).toBe(0x87);
    expect(await pubackCode(c, 'stations/hz-enrol-1/cmd/unlock')).toBe(0x87);
    expect(await pubackCode(c, 'stations/hz-enrol-1/enrol/reply')).toBe(0x87);
    // Another claim's replies are not delivered to it, nor is the stations' tree: a reply the
    // service sends the other claim, and a command the operators send a station, reach their own
    // readers only. (The service's own certificate is not used here: a second connection with it
    // would take the running service's connection over.)
    const seen = new Recorder(c);
    await c.subscribeAsync(['enrol/batch-once/+/reply', 'stations/#'], { qos: 1 });
    const other = await asClaim('batch-once');
    const otherSeen = new Recorder(other);
    await other.subscribeAsync('enrol/batch-once/otherclaim-1/reply', { qos: 1 });
    await other.publishAsync('enrol/batch-once/otherclaim-1/request', '{"requestId":"otherclaim-1"}', { qos: 1 });
    await otherSeen.waitFor('enrol/batch-once/otherclaim-1/reply', (m) => (m.body.error as { code?: string } | undefined)?.code === 'ENROL_BAD_REQUEST');
    const ops = await certClient('ops-console');
    await ops.publishAsync('stations/hz-enrol-1/cmd/snapshot', '{}', { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.messages).toEqual([]);
  });
});

describe('renewal over the station\'s own mTLS connection', () => {
  it('renews a certificate near expiry; the station connects with the new one, the old kept until then, one reconnect', async () => {
    const box = newBox('box-renew', 'batch-many', '0123456789abcdef0123456789abcd02');
    expect((await enrol(box)).output).toContain('ok: station hz-enrol-2');
    const keys = new KeyStore(join(box, 'keys'));
    const oldGeneration = keys.current();
    const oldSerial = certificateExpiry(readFileSync(keys.paths.cert, 'utf8'))?.serial;
    let client = await asStation(keys, { reconnectPeriod: 1000 });
    const connectedWith = (c: MqttClient): string | undefined => ((c.stream as TLSSocket).getCertificate() as { serialNumber?: string } | null)?.serialNumber;
    expect(connectedWith(client)).toBe(oldSerial);
    let gapMs = 0;
    const generationsAtReconnect: string[][] = [];
    const link = {
      subscribe: (topic: string, on: (p: Buffer) => void) => mqttEnrolmentLink(client).subscribe(topic, on),
      publish: (topic: string, payload: string) => mqttEnrolmentLink(client).publish(topic, payload),
    };
    const renewal = new CertificateRenewal({
      stationId: 'hz-enrol-2',
      topicPrefix: 'stations',
      keys,
      clock: keepAliveClock,
      link,
      log: silentLogger(),
      // The 30-day certificate is "near expiry" for a 40-day window.
      renewBeforeDays: 40,
      replyTimeoutMs: 15_000,
      reconnect: async () => {
        generationsAtReconnect.push(keys.generations());
        const started = Date.now();
        await client.endAsync();
        client = await asStation(keys, { reconnectPeriod: 1000 });
        gapMs = Date.now() - started;
      },
    });
    const outcome = await renewal.renewIfDue();
    expect(outcome.renewed).toBe(true);
    const newSerial = certificateExpiry(readFileSync(keys.paths.cert, 'utf8'))?.serial;
    expect(newSerial).not.toBe(oldSerial);
    // Connected with the new certificate, by the broker's account: its ACL is the station's.
    expect(connectedWith(client)).toBe(newSerial);
    expect(await pubackCode(client, 'stations/hz-enrol-2/events')).toBe(0);
    // Both pairs were on disk while it reconnected; only the new one is left.
    expect(generationsAtReconnect).toEqual([[oldGeneration, keys.current()].sort()]);
    expect(keys.generations()).toEqual([keys.current()]);
    expect(gapMs).toBeLessThan(5000);
    // And the renewed station runs on it: the real gateway on the same station file.
    await client.endAsync();
    const ops = await certClient('ops-console');
    clients.push(ops);
    const seen = new Recorder(ops);
    await ops.subscribeAsync('stations/hz-enrol-2/status', { qos: 1 });
    const from = seen.messages.length;
    const gateway = runNode(GATEWAY, ['run', '--config', join(box, 'station.yaml')]);
    processes.push(gateway);
    await seen.waitFor('stations/hz-enrol-2/status', (m) => m.body.online === true && !m.retain, 30_000, from);
    await gateway.stop();
  });
});

describe('renewal by the running gateway', () => {
  it('renews its own certificate over its bridge: one planned reconnect, no Last Will, the new pair in use', async () => {
    const box = newBox('box-gateway-renew', 'batch-many', '0123456789abcdef0123456789abcd06');
    expect((await enrol(box)).output).toContain('ok: station hz-enrol-6');
    const keys = new KeyStore(join(box, 'keys'));
    const oldGeneration = keys.current();
    const ops = await certClient('ops-console');
    const seen = new Recorder(ops);
    await ops.subscribeAsync('stations/hz-enrol-6/status', { qos: 1 });
    const gateway = spawn(process.execPath, [GATEWAY, 'run', '--config', join(box, 'station.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STATION_GATEWAY_RENEWAL_CHECK_MS: '1000' },
    });
    let log = '';
    gateway.stdout.on('data', (d: Buffer) => (log += d.toString('utf8')));
    gateway.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
    const exited = new Promise((r) => gateway.once('exit', r));
    try {
      await seen.waitFor('stations/hz-enrol-6/status', (m) => m.body.online === true && !m.retain, 30_000);
      await waitFor(() => keys.current() !== oldGeneration && keys.generations().length === 1, 30_000, `the renewed pair in use:\n${log.slice(-2000)}`);
      // The second birth is the connection with the new certificate.
      await waitFor(() => seen.messages.filter((m) => m.topic === 'stations/hz-enrol-6/status' && m.body.online === true && !m.retain).length >= 2, 15_000, 'a birth after the reconnect');
      // Each birth says when the certificate it connected with expires: the second one, the renewed one's.
      const births = seen.messages.filter((m) => m.topic === 'stations/hz-enrol-6/status' && m.body.online === true && !m.retain);
      const [first, second] = births.map((m) => m.body.certificate as { notAfter: string; daysLeft: number });
      expect(first?.daysLeft).toBeGreaterThan(29);
      expect(first?.daysLeft).toBeLessThanOrEqual(30);
      expect(Date.parse(second?.notAfter ?? '')).toBeGreaterThan(Date.parse(first?.notAfter ?? ''));
      const offline = seen.messages.filter((m) => m.topic === 'stations/hz-enrol-6/status' && m.body.online === false);
      expect(offline, 'a planned reconnect: no Last Will').toEqual([]);
      expect(log).not.toMatch(/RENEWAL_FAILED|RENEWAL_ROLLED_BACK/);
    } finally {
      gateway.kill('SIGTERM');
      await exited;
    }
  }, 90_000);
});

describe('station-fleet enrol serve', () => {
  it('comes back after a broker restart and serves the next box', async () => {
    await broker.stop();
    await broker.start();
    await service?.waitForOutput(/broker connection up/, 20_000);
    // Its subscriptions were made again on the new connection (clean session: nothing queued).
    const box = newBox('box-after-restart', 'batch-many', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1');
    writeFileSync(join(box, 'claim.yaml'), readFileSync(join(box, 'claim.yaml'), 'utf8').replace('hardwareIdFile: machine-id', 'hardwareIdFile: machine-id\nstationId: hz-enrol-5'));
    const r = await enrol(box);
    expect(r.output).toContain('ok: station hz-enrol-5');
  });

  it('stops on SIGTERM, exit 0', async () => {
    const running = service;
    expect(running).toBeDefined();
    running?.child.kill('SIGTERM');
    expect(await running?.exited).toEqual({ code: 0, signal: null });
  });
});
