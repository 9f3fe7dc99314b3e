import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { ClaimLedger } from '../../fleet/enrolment/claim-ledger.js';
import { EnrolmentService } from '../../fleet/enrolment/enrolment-service.js';
import { FleetCa, initFleetCa } from '../../fleet/enrolment/fleet-ca.js';
import { loadServiceFile } from '../../fleet/enrolment/service-file.js';
import { certificateExpiry } from '../../gateway/enrolment/certificate.js';
import { CertificateRenewal, type CertificateRenewalOptions } from '../../gateway/enrolment/certificate-renewal.js';
import { makeKeyAndCsr } from '../../gateway/enrolment/csr.js';
import { pemBlocks, toPem } from '../../gateway/enrolment/pem.js';
import { mqttEnrolmentLink } from '../../gateway/enrolment/enrolment-link.js';
import { renewalTopics } from '../../gateway/enrolment/enrolment-protocol.js';
import { KeyStore } from '../../gateway/enrolment/key-store.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * Renewal by the station's own tree, between the real CertificateRenewal and the real enrolment
 * service (OpenSSL signing) over the embedded broker: its schedule on a fake clock, the switch to
 * the new pair with the old one kept until the reconnect succeeded, and the way back when it does
 * not. The same against Mosquitto's ACL and mTLS is in test/interop/enrolment.interop.ts.
 */

const STATION = 'hz-renew-1';
const DAY = 86_400_000;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let serviceClient: MqttClient;
let stationClient: MqttClient;
let service: EnrolmentService;
let shortCa: FleetCa;

beforeAll(async () => {
  dir = tempDir('enrol-renew-');
  broker = await startEmbeddedBroker({ port: 0 });
  const caFiles = await initFleetCa(join(dir.path, 'ca'));
  // The first certificate is short-lived (10 days: inside the 30-day window); renewals get 90.
  shortCa = new FleetCa(caFiles, 10);
  writeFileSync(join(dir.path, 'template.yaml'), 'station: { id: x }\n');
  writeFileSync(
    join(dir.path, 'service.yaml'),
    `broker: { url: ${broker.url}, protocolVersion: 4 }
ca: { cert: ca/ca.crt, key: ca/ca.key }
stationCa: ca/ca.crt
validityDays: 90
stateFile: state.json
claims:
  batch-1: { uses: once, template: template.yaml, stations: [{ hardwareId: hw-0001, stationId: hz-0001 }] }
`,
  );
  const file = loadServiceFile(join(dir.path, 'service.yaml'));
  serviceClient = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'enrol-service' });
  service = new EnrolmentService({ service: file, client: serviceClient, ledger: ClaimLedger.open(file.stateFile), ca: new FleetCa(file.ca, 90), stationCaPem: readFileSync(caFiles.cert, 'utf8'), log: silentLogger() });
  await service.start();
  stationClient = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: STATION });
});

afterAll(async () => {
  await service?.stop();
  await serviceClient?.endAsync();
  await stationClient?.endAsync();
  await broker?.close();
  dir?.remove();
});

let keys: KeyStore;
let clock: FakeClock;
let first: string;
beforeEach(async () => {
  keys = new KeyStore(join(dir.path, `keys-${Math.random().toString(36).slice(2)}`));
  const mine = await makeKeyAndCsr(STATION);
  keys.writeCa(shortCa.caPem);
  first = keys.stage(mine.privateKeyPem, (await shortCa.sign(mine.csrPem, STATION)).certificatePem, new Date());
  keys.activate(first);
  clock = new FakeClock();
  // Certificates are dated by the real clock: the fake one starts there.
  clock.advance(Date.now() - clock.now());
});

const parts: CertificateRenewal[] = [];
afterEach(async () => {
  for (const p of parts.splice(0)) await p.stop();
});

function renewal(reconnect: CertificateRenewalOptions['reconnect'], extra: Partial<CertificateRenewalOptions> = {}): CertificateRenewal {
  const part = new CertificateRenewal({ stationId: STATION, topicPrefix: 'stations', keys, clock, link: mqttEnrolmentLink(stationClient), reconnect, log: silentLogger(), firstCheckMs: 1000, ...extra });
  parts.push(part);
  return part;
}

const serialOf = (pem: string): string | undefined => certificateExpiry(pem)?.serial;

describe('certificate renewal', () => {
  it('does nothing while the certificate has more days left than renewBeforeDays', async () => {
    const part = renewal(() => Promise.reject(new Error('must not reconnect')), { renewBeforeDays: 5 });
    expect(part.daysLeft()).toBeGreaterThan(9.9);
    const outcome = await part.renewIfDue();
    expect(outcome).toMatchObject({ renewed: false, reason: 'not-due' });
    expect(keys.generations()).toEqual([first]);
  });

  it('renews on its schedule: a new pair beside the old, switched to, one reconnect, and the old removed only once it connected', async () => {
    const oldSerial = serialOf(readFileSync(keys.paths.cert, 'utf8'));
    const seenAtReconnect: Array<{ generations: string[]; serial: string | undefined; keyMatches: boolean }> = [];
    const part = renewal(() => {
      // What the bridge reads when it reconnects: the new pair, whole; the old one still on disk.
      const cert = readFileSync(keys.paths.cert, 'utf8');
      seenAtReconnect.push({ generations: keys.generations(), serial: serialOf(cert), keyMatches: new X509Certificate(cert).checkPrivateKey(createPrivateKey(readFileSync(keys.paths.key))) });
      return Promise.resolve();
    });
    await part.start();
    await clock.advanceSettling(999);
    expect(seenAtReconnect).toEqual([]);
    await clock.advanceSettling(1);
    await waitFor(() => keys.generations().length === 1 && keys.current() !== first, 10_000, 'the renewal');
    expect(seenAtReconnect).toHaveLength(1);
    const [atReconnect] = seenAtReconnect;
    expect(atReconnect?.generations).toEqual([first, keys.current()]);
    expect(atReconnect?.keyMatches).toBe(true);
    expect(atReconnect?.serial).not.toBe(oldSerial);
    expect(part.daysLeft()).toBeGreaterThan(89.9);
  });

  it('stops its schedule on stop', async () => {
    let reconnects = 0;
    const part = renewal(() => {
      reconnects += 1;
      return Promise.resolve();
    });
    await part.start();
    await part.stop();
    await clock.advanceSettling(7 * 3_600_000);
    await new Promise((r) => setTimeout(r, 300));
    expect([reconnects, keys.current()]).toEqual([0, first]);
  });

  it('switches back to the old pair, which it kept, when the new one does not connect; and tries again later', async () => {
    const oldCert = readFileSync(keys.paths.cert, 'utf8');
    let attempts = 0;
    const part = renewal(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('CONNACK refused: the broker does not trust the new CA');
    }, { retryMs: 3_600_000 });
    const outcome = await part.renewIfDue();
    expect(outcome).toEqual({ renewed: false, reason: 'rolled-back', code: 'RENEWAL_ROLLED_BACK' });
    // Reconnected twice: with the new pair (refused), then with the old one again.
    expect(attempts).toBe(2);
    expect(keys.current()).toBe(first);
    expect(keys.generations()).toEqual([first]);
    expect(readFileSync(keys.paths.cert, 'utf8')).toBe(oldCert);
  });

  it('keeps everything as it was when the service refuses or does not answer', async () => {
    const quiet = renewal(() => Promise.reject(new Error('must not reconnect')), { topicPrefix: 'nobody-listens', replyTimeoutMs: 5000 });
    const pending = quiet.renewIfDue();
    const caught = pending.catch((err: unknown) => err);
    await waitFor(async () => {
      await clock.advanceSettling(1000);
      return (await Promise.race([caught, new Promise((r) => setTimeout(() => r(undefined), 10))])) !== undefined;
    }, 10_000, 'the time-out');
    expect(await caught).toMatchObject({ code: 'ENROL_NO_REPLY' });
    expect(keys.generations()).toEqual([first]);
  });
});

describe('the enrolment service, for renewals', () => {
  it('refuses a renewal whose CSR signature does not verify, answering the request it came with', async () => {
    const { csrPem } = await makeKeyAndCsr(STATION);
    const der = pemBlocks(csrPem, 'CERTIFICATE REQUEST')[0]!;
    der[der.length - 1] = (der[der.length - 1]! ^ 0x01) & 0xff;
    const replies: unknown[] = [];
    const link = mqttEnrolmentLink(stationClient);
    const off = await link.subscribe(renewalTopics.reply('stations', STATION), (p) => replies.push(JSON.parse(p.toString('utf8'))));
    await link.publish(renewalTopics.request('stations', STATION), JSON.stringify({ requestId: 'bad-csr-0001', csr: toPem('CERTIFICATE REQUEST', der) }));
    await waitFor(() => replies.length > 0, 10_000, 'the reply');
    await off();
    expect(replies[0]).toEqual({ ok: false, requestId: 'bad-csr-0001', error: { code: 'ENROL_BAD_CSR', message: 'the request\'s self-signature does not verify with its public key' } });
  });
});
