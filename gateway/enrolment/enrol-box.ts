import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../config/config-error.js';
import { errorEntry } from '../../config/error-catalogue.js';
import { loadStation } from '../../config/load-station-config.js';
import { replaceFileAtomically, syncFolder } from '../../config/durable-write.js';
import { checkIssuedCertificate } from './certificate.js';
import type { ClaimFile } from './claim-file.js';
import { makeKeyAndCsr } from './csr.js';
import { EnrolmentError, type EnrolmentErrorCode } from './enrolment-error.js';
import { HARDWARE_ID, enrolReplySchema, enrolTopics, type EnrolRequest } from './enrolment-protocol.js';
import { KeyStore } from './key-store.js';

export interface EnrolOutcome {
  stationId: string;
  stationFile: string;
  certificate: string;
  notAfter: Date;
  hardwareId: string;
}

export interface EnrolOptions {
  now?: () => number;
  /** Progress for a person at the box (the command prints it). */
  say?: (line: string) => void;
}

/**
 * A box's first start: it makes its own key pair (the private key stays on the box), sends a
 * certificate signing request with its claim to the fleet's enrolment service over MQTT, and
 * keeps what it is sent only after checking it: the certificate is for its key, with the station
 * id as CN, signed by the CA sent; the station file passes `validate`. Then the keys, the CA and
 * the station file are written, each atomically, the station file last (its presence is what
 * "enrolled" means), pointing `cloud.ca/cert/key` at them. A refusal, a time-out or a bad answer
 * writes nothing.
 */
export async function enrolBox(claim: ClaimFile, options: EnrolOptions = {}): Promise<EnrolOutcome> {
  const now = options.now ?? Date.now;
  const say = options.say ?? ((): void => undefined);
  if (existsSync(claim.stationFile)) {
    throw new EnrolmentError('ENROL_EXISTS', `${claim.stationFile} exists: this box is enrolled already (move it and the keys away to enrol it anew)`);
  }
  const hardwareId = claim.hardwareId ?? readHardwareId(claim.hardwareIdFile);
  const secret = readSecret(claim.claim.secretFile);
  const brokerCa = readFileSync(claim.broker.ca);

  const { privateKeyPem, csrPem } = await makeKeyAndCsr((claim.stationId ?? hardwareId).slice(0, 64));
  const requestId = randomBytes(12).toString('base64url');
  const request: EnrolRequest = { requestId, csr: csrPem, hardwareId };
  if (claim.claim.code !== undefined) request.code = claim.claim.code;
  if (claim.stationId !== undefined) request.stationId = claim.stationId;

  say(`hardware id ${hardwareId}; asking ${claim.broker.url} with claim ${claim.claim.id} (request ${requestId})`);
  const client = await connect(claim, secret, brokerCa, requestId);
  let text: string;
  try {
    text = await ask(client, claim.claim.id, requestId, JSON.stringify(request), claim.replyTimeoutSeconds * 1000);
  } finally {
    await client.endAsync().catch(() => undefined);
  }

  const reply = parseReply(text);
  if (!reply.ok) {
    const code = errorEntry(reply.error.code)?.area === 'enrolment' ? (reply.error.code as EnrolmentErrorCode) : undefined;
    if (code) throw new EnrolmentError(code, `refused by the enrolment service: ${reply.error.message}`);
    throw new EnrolmentError('ENROL_BAD_REPLY', `refused by the enrolment service with ${reply.error.code}: ${reply.error.message}`);
  }
  if (reply.requestId !== requestId) throw new EnrolmentError('ENROL_BAD_REPLY', `the reply is for request ${reply.requestId}, not ${requestId}`);
  const { notAfter } = checkIssuedCertificate({ certificatePem: reply.certificate, caPem: reply.ca, privateKeyPem, stationId: reply.stationId, nowMs: now() });

  const keys = new KeyStore(claim.keysDir);
  const stationText = stationFileFor(reply.stationFile, reply.stationId, keys);
  const hadKeysDir = writeEnrolment(claim, keys, { privateKeyPem, certificatePem: reply.certificate, caPem: reply.ca, now: new Date(now()) });
  await checkAndPlaceStationFile(claim, keys, stationText, hadKeysDir);
  say(`enrolled as ${reply.stationId}; certificate valid until ${notAfter.toISOString()}; station file ${claim.stationFile}`);
  return { stationId: reply.stationId, stationFile: claim.stationFile, certificate: keys.paths.cert, notAfter, hardwareId };
}

function readHardwareId(file: string): string {
  let id: string;
  try {
    id = (readFileSync(file, 'utf8').split('\n')[0] ?? '').trim();
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read the hardware id (${(err as NodeJS.ErrnoException).code ?? String(err)}); set hardwareId in the claim file` }]);
  }
  if (!HARDWARE_ID.test(id)) throw new ConfigError([{ file, path: '', message: `"${id}" is not a hardware id (4..128 letters, digits, . _ : -)` }]);
  return id;
}

function readSecret(file: string): string {
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trimEnd();
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read the claim's secret (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  if (secret === '') throw new ConfigError([{ file, path: '', message: 'the claim\'s secret file is empty' }]);
  return secret;
}

async function connect(claim: ClaimFile, password: string, ca: Buffer, requestId: string): Promise<MqttClient> {
  // One attempt: the command's caller (a person, or systemd) decides about retrying.
  const client = mqtt.connect(claim.broker.url, {
    clientId: `enrol-${requestId}`,
    username: claim.claim.id,
    password,
    ca,
    protocolVersion: claim.broker.protocolVersion,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      client.removeAllListeners('connect');
      client.end(true);
      reject(new EnrolmentError('ENROL_CONNECT', `cannot connect to ${claim.broker.url} as claim ${claim.claim.id}: ${why}`));
    };
    client.once('connect', () => {
      client.removeAllListeners('error');
      client.removeAllListeners('close');
      // An error from here on ends the connection, and its close fails the wait for the answer;
      // without a listener it would be thrown instead.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', (err) => fail(err.message));
    client.once('close', () => fail('the connection closed before the broker accepted it'));
  });
}

/** Subscribes to the reply, sends the request, and waits at most `timeoutMs` for the answer. */
async function ask(client: MqttClient, claimId: string, requestId: string, payload: string, timeoutMs: number): Promise<string> {
  const replyTopic = enrolTopics.reply(claimId, requestId);
  const answer = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new EnrolmentError('ENROL_NO_REPLY', `no answer on ${replyTopic} within ${timeoutMs / 1000} s: is the enrolment service running, and does the ACL let the claim through?`)), timeoutMs);
    client.on('message', (topic, body) => {
      if (topic !== replyTopic) return;
      clearTimeout(timer);
      resolve(body.toString('utf8'));
    });
    client.once('close', () => {
      clearTimeout(timer);
      reject(new EnrolmentError('ENROL_CONNECT', 'the enrolment broker closed the connection before the answer came'));
    });
  });
  const granted = await client.subscribeAsync(replyTopic, { qos: 1 });
  if (granted.some((g) => g.qos >= 0x80)) throw new EnrolmentError('ENROL_CONNECT', `the broker refused the subscription to ${replyTopic}: check the claim listener's ACL`);
  try {
    await client.publishAsync(enrolTopics.request(claimId, requestId), payload, { qos: 1 });
  } catch (err) {
    throw new EnrolmentError('ENROL_CONNECT', `the broker refused the request: ${(err as Error).message}`);
  }
  return answer;
}

function parseReply(text: string): ReturnType<typeof enrolReplySchema.parse> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnrolmentError('ENROL_BAD_REPLY', 'the answer is not JSON');
  }
  const r = enrolReplySchema.safeParse(json);
  if (!r.success) throw new EnrolmentError('ENROL_BAD_REPLY', `the answer is not an enrolment reply: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The station file sent, with `cloud.ca/cert/key` pointed at this box's files (comments kept). */
function stationFileFor(text: string, stationId: string, keys: KeyStore): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new EnrolmentError('ENROL_BAD_REPLY', `the station file sent is not YAML: ${doc.errors[0]?.message ?? ''}`);
  const id: unknown = doc.getIn(['station', 'id']);
  if (id !== stationId) throw new EnrolmentError('ENROL_BAD_REPLY', `the station file sent is for station "${String(id)}", not "${stationId}"`);
  for (const [key, path] of [['ca', keys.paths.ca], ['cert', keys.paths.cert], ['key', keys.paths.key]] as const) doc.setIn(['cloud', key], path);
  return doc.toString();
}

interface Written {
  privateKeyPem: string;
  certificatePem: string;
  caPem: string;
  now: Date;
}

/** Keys and CA; a failure on the way removes what this enrolment wrote. Says whether the keys folder was there before. */
function writeEnrolment(claim: ClaimFile, keys: KeyStore, w: Written): boolean {
  const hadDir = existsSync(claim.keysDir);
  try {
    keys.writeCa(w.caPem);
    keys.activate(keys.stage(w.privateKeyPem, w.certificatePem, w.now));
  } catch (err) {
    undo(claim, keys, hadDir);
    throw err;
  }
  return hadDir;
}

/** The station file is checked exactly as `validate` checks it, beside where it goes, then renamed into place. */
async function checkAndPlaceStationFile(claim: ClaimFile, keys: KeyStore, text: string, hadKeysDir: boolean): Promise<void> {
  const trial = join(dirname(claim.stationFile), `.enrol-${randomBytes(4).toString('hex')}.yaml`);
  try {
    mkdirSync(dirname(claim.stationFile), { recursive: true });
    replaceFileAtomically(trial, text, 0o644);
    await loadStation(trial);
  } catch (err) {
    rmSync(trial, { force: true });
    undo(claim, keys, hadKeysDir);
    if (err instanceof ConfigError) {
      throw new EnrolmentError('ENROL_BAD_REPLY', `the station file sent does not validate: ${err.problems.map((p) => `${p.path || '(file)'}: ${p.message}`).join('; ')}`);
    }
    throw err;
  }
  renameSync(trial, claim.stationFile);
  syncFolder(dirname(claim.stationFile));
}

function undo(claim: ClaimFile, keys: KeyStore, hadDir: boolean): void {
  if (!hadDir) return void rmSync(claim.keysDir, { recursive: true, force: true });
  const generation = keys.current();
  rmSync(join(claim.keysDir, 'current'), { force: true });
  if (generation) keys.discard(generation);
  rmSync(keys.paths.ca, { force: true });
}
