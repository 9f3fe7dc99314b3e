import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { ClaimLedger } from '../../fleet/enrolment/claim-ledger.js';
import { EnrolmentService } from '../../fleet/enrolment/enrolment-service.js';
import { FleetCa, initFleetCa } from '../../fleet/enrolment/fleet-ca.js';
import { loadServiceFile } from '../../fleet/enrolment/service-file.js';
import { checkIssuedCertificate } from '../../gateway/enrolment/certificate.js';
import { makeKeyAndCsr } from '../../gateway/enrolment/csr.js';
import { enrolTopics } from '../../gateway/enrolment/enrolment-protocol.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The enrolment service's rules for first enrolments, on the real service over the embedded
 * broker (the box's side and Mosquitto's ACLs are in test/interop/enrolment.interop.ts): the
 * plan, the window, the use count, the station file it sends.
 */

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let serviceClient: MqttClient;
let box: MqttClient;
let service: EnrolmentService;
let caPem: string;
let now = Date.parse('2026-12-01T10:00:00Z');

beforeAll(async () => {
  dir = tempDir('enrol-service-');
  broker = await startEmbeddedBroker({ port: 0 });
  const ca = await initFleetCa(join(dir.path, 'ca'));
  caPem = readFileSync(ca.cert, 'utf8');
  writeFileSync(join(dir.path, 'template.yaml'), '# batch template\nstation: { id: placeholder, timezone: Asia/Shanghai }\ncloud: { url: "mqtts://broker.example.net:8883" }\n');
  writeFileSync(join(dir.path, 'special.yaml'), 'station: { id: placeholder, openHours: "06:00-22:00" }\n');
  writeFileSync(
    join(dir.path, 'service.yaml'),
    `broker: { url: ${broker.url}, protocolVersion: 4 }
ca: { cert: ca/ca.crt, key: ca/ca.key }
stationCa: ca/ca.crt
stateFile: state.json
claims:
  batch-a:
    uses: 2
    from: 2026-11-01T00:00:00Z
    until: 2027-01-01T00:00:00Z
    template: template.yaml
    stations:
      - { hardwareId: hw-a-0001, stationId: hz-a-1 }
      - { hardwareId: hw-a-0002, stationId: hz-a-2, template: special.yaml }
      - { hardwareId: hw-a-0003, stationId: hz-a-3 }
      - { hardwareId: hw-a-0004, code: PAIRED-CODE, stationId: hz-a-4 }
`,
  );
  const file = loadServiceFile(join(dir.path, 'service.yaml'));
  serviceClient = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'enrol-service' });
  service = new EnrolmentService({ service: file, client: serviceClient, ledger: ClaimLedger.open(file.stateFile), ca: new FleetCa(file.ca, 30), stationCaPem: caPem, log: silentLogger(), now: () => now });
  await service.start();
  box = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'a-box' });
});

afterAll(async () => {
  await service?.stop();
  await serviceClient?.endAsync();
  await box?.endAsync();
  await broker?.close();
  dir?.remove();
});

let n = 0;
async function ask(claimId: string, body: Record<string, unknown>): Promise<{ reply: Record<string, unknown>; privateKeyPem: string }> {
  const requestId = `request-${String(++n).padStart(4, '0')}`;
  const { privateKeyPem, csrPem } = await makeKeyAndCsr('box');
  const replies: Array<Record<string, unknown>> = [];
  const topic = enrolTopics.reply(claimId, requestId);
  const listener = (t: string, p: Buffer): void => void (t === topic && replies.push(JSON.parse(p.toString('utf8')) as Record<string, unknown>));
  box.on('message', listener);
  await box.subscribeAsync(topic, { qos: 1 });
  await box.publishAsync(enrolTopics.request(claimId, requestId), JSON.stringify({ requestId, csr: csrPem, ...body }), { qos: 1 });
  await waitFor(() => replies.length > 0, 10_000, `the reply on ${topic}`);
  box.off('message', listener);
  await box.unsubscribeAsync(topic);
  return { reply: replies[0]!, privateKeyPem };
}

const refusal = (r: { reply: Record<string, unknown> }): string | undefined => (r.reply.ok === false ? (r.reply.error as { code: string }).code : undefined);

describe('the enrolment service, for first enrolments', () => {
  it('issues the plan\'s station id, a certificate for the box\'s key, and the station file from the template with that id', async () => {
    const r = await ask('batch-a', { hardwareId: 'hw-a-0001', stationId: 'hz-a-1' });
    expect(r.reply).toMatchObject({ ok: true, requestId: 'request-0001', stationId: 'hz-a-1', ca: caPem });
    checkIssuedCertificate({ certificatePem: r.reply.certificate as string, caPem, privateKeyPem: r.privateKeyPem, stationId: 'hz-a-1', nowMs: Date.now() });
    const text = r.reply.stationFile as string;
    expect(text).toContain('# batch template');
    expect(parse(text)).toEqual({ station: { id: 'hz-a-1', timezone: 'Asia/Shanghai' }, cloud: { url: 'mqtts://broker.example.net:8883' } });
  });

  it('refuses what the plan does not say: an unknown box, another station id, a code that does not match', async () => {
    expect(refusal(await ask('batch-a', { hardwareId: 'hw-unknown' }))).toBe('ENROL_NOT_IN_PLAN');
    expect(refusal(await ask('batch-a', { hardwareId: 'hw-a-0003', stationId: 'hz-a-1' }))).toBe('ENROL_NOT_IN_PLAN');
    expect(refusal(await ask('batch-a', { hardwareId: 'hw-a-0004' }))).toBe('ENROL_NOT_IN_PLAN');
    expect(refusal(await ask('batch-a', { hardwareId: 'hw-a-0004', code: 'PAIRED-COD3' }))).toBe('ENROL_NOT_IN_PLAN');
    expect(refusal(await ask('batch-b', { hardwareId: 'hw-a-0001' }))).toBe('ENROL_CLAIM_UNKNOWN');
    expect(refusal(await ask('batch-a', { hardwareId: 'hw-a-0001', csr: 'nope' }))).toBe('ENROL_BAD_REQUEST');
  });

  it('counts uses (2 here) and refuses the third, with none of the refusals above counted', async () => {
    const second = await ask('batch-a', { hardwareId: 'hw-a-0002' });
    expect(second.reply).toMatchObject({ ok: true, stationId: 'hz-a-2' });
    expect(parse(second.reply.stationFile as string)).toEqual({ station: { id: 'hz-a-2', openHours: '06:00-22:00' } });
    const third = await ask('batch-a', { hardwareId: 'hw-a-0003' });
    expect(third.reply).toMatchObject({ ok: false, error: { code: 'ENROL_CLAIM_SPENT', message: 'claim batch-a has been used 2 times of 2' } });
  });

  it('refuses outside the claim\'s window', async () => {
    now = Date.parse('2027-01-02T00:00:00Z');
    expect(refusal(await ask('batch-a', { hardwareId: 'hw-a-0003' }))).toBe('ENROL_CLAIM_WINDOW');
    now = Date.parse('2026-10-31T00:00:00Z');
    expect(refusal(await ask('batch-a', { hardwareId: 'hw-a-0003' }))).toBe('ENROL_CLAIM_WINDOW');
  });
});
