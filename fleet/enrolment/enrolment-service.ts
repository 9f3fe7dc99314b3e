import { createHash, timingSafeEqual } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { parseDocument } from 'yaml';
import { verifyCsr } from '../../gateway/enrolment/csr.js';
import { EnrolmentError } from '../../gateway/enrolment/enrolment-error.js';
import {
  enrolRequestSchema,
  enrolTopics,
  REQUEST_ID,
  renewalRequestSchema,
  renewalTopics,
  type EnrolReply,
  type EnrolRequest,
  type RenewalReply,
} from '../../gateway/enrolment/enrolment-protocol.js';
import type { ClaimLedger } from './claim-ledger.js';
import type { FleetCa } from './fleet-ca.js';
import { templateOf, type ClaimPlan, type LoadedServiceFile, type PlanEntry } from './service-file.js';

export interface EnrolmentServiceOptions {
  service: LoadedServiceFile;
  /** Connected with the operator's own account, which the ACL lets read the requests and write the replies. */
  client: MqttClient;
  ledger: ClaimLedger;
  ca: FleetCa;
  /** Sent to stations as their cloud.ca. */
  stationCaPem: string;
  log: Logger;
  now?: () => number;
}

/**
 * The service side of enrolment (`station-fleet enrol serve`): first enrolments from claims on
 * `enrol/<claim>/<request>/request`, renewals from stations on `<prefix>/<station>/enrol/request`.
 * The broker's ACL says who published (a claim only under its own id, a station only under its
 * own tree), so the topic is the identity; the payload is checked, the CSR's self-signature
 * verified, the claim's limits applied, and OpenSSL signs. Requests are handled one at a time, so
 * two boxes racing for a claim's last use cannot both get it.
 */
export class EnrolmentService {
  private queue: Promise<void> = Promise.resolve();
  private readonly onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }): void => {
    // A retained request is an old one a broker replays to every new subscriber: never act on it.
    if (packet.retain) return;
    this.queue = this.queue.then(() => this.handle(topic, payload)).catch((err: unknown) => this.o.log.error({ err, topic }, 'enrolment request failed unexpectedly'));
  };
  private readonly now: () => number;

  constructor(private readonly o: EnrolmentServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  get topics(): string[] {
    return [enrolTopics.allRequests, renewalTopics.allRequests(this.o.service.topicPrefix)];
  }

  async start(): Promise<void> {
    this.o.client.on('message', this.onMessage);
    const granted = await this.o.client.subscribeAsync(this.topics, { qos: 1 });
    const refused = granted.filter((g) => g.qos >= 0x80).map((g) => g.topic);
    if (refused.length > 0) throw new Error(`the broker refused the subscriptions ${refused.join(', ')}: check the ACL of the service's account`);
  }

  async stop(): Promise<void> {
    this.o.client.off('message', this.onMessage);
    await this.o.client.unsubscribeAsync(this.topics).catch(() => undefined);
    await this.queue;
  }

  /** Resolves once every request received so far has been answered. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const enrol = enrolTopics.parseRequest(topic);
    if (enrol) return this.answer(enrolTopics.reply(enrol.claimId, enrol.requestId), enrol.requestId, () => this.enrol(enrol.claimId, enrol.requestId, payload));
    const stationId = renewalTopics.parseRequest(this.o.service.topicPrefix, topic);
    if (stationId) return this.answer(renewalTopics.reply(this.o.service.topicPrefix, stationId), peekRequestId(payload), () => this.renew(stationId, payload));
  }

  private async answer(replyTopic: string, requestId: string | undefined, work: () => Promise<EnrolReply | RenewalReply>): Promise<void> {
    let reply: EnrolReply | RenewalReply;
    try {
      reply = await work();
    } catch (err) {
      if (!(err instanceof EnrolmentError)) throw err;
      this.o.log.warn({ code: err.code, replyTopic }, err.message);
      reply = { ok: false, ...(requestId === undefined ? {} : { requestId }), error: { code: err.code, message: err.message } };
    }
    await this.o.client.publishAsync(replyTopic, JSON.stringify(reply), { qos: 1 });
  }

  private async enrol(claimId: string, requestId: string, payload: Buffer): Promise<EnrolReply> {
    const req = parse(payload, enrolRequestSchema);
    if (req.requestId !== requestId) throw new EnrolmentError('ENROL_BAD_REQUEST', `the topic's request id ${requestId} differs from the payload's ${req.requestId}`);
    const claim = this.o.service.claims[claimId];
    if (!claim) throw new EnrolmentError('ENROL_CLAIM_UNKNOWN', `claim ${claimId} is not in ${this.o.service.file}`);
    const now = this.now();
    if ((claim.from && now < Date.parse(claim.from)) || (claim.until && now > Date.parse(claim.until))) {
      throw new EnrolmentError('ENROL_CLAIM_WINDOW', `claim ${claimId} may be used from ${claim.from ?? 'any time'} until ${claim.until ?? 'any time'}`);
    }
    const entry = findInPlan(claim, req);
    if (!entry) throw new EnrolmentError('ENROL_NOT_IN_PLAN', `no station of claim ${claimId} has hardware id ${req.hardwareId}${req.code === undefined ? '' : ' and this code'}`);
    if (req.stationId !== undefined && req.stationId !== entry.stationId) {
      throw new EnrolmentError('ENROL_NOT_IN_PLAN', `the box asked to be ${req.stationId}; the plan makes it ${entry.stationId}`);
    }
    await verifyCsr(req.csr);
    const template = templateOf(this.o.service, claim, entry);
    if (template === undefined) throw new EnrolmentError('ENROL_NOT_IN_PLAN', `station ${entry.stationId} has no template`);
    const stationFile = stationFileFrom(template, entry.stationId);

    this.o.ledger.reserve({ claimId, stationId: entry.stationId, hardwareId: req.hardwareId, requestId, code: entry.code === undefined ? undefined : req.code, at: new Date(now) }, claim.uses === 'once' ? 1 : claim.uses);
    const issued = await this.o.ca.sign(req.csr, entry.stationId);
    this.o.ledger.issued(claimId, requestId, issued.serial, issued.notAfter);
    this.o.log.info({ claim: claimId, station: entry.stationId, hardwareId: req.hardwareId, serial: issued.serial, notAfter: issued.notAfter.toISOString() }, 'station enrolled');
    return { ok: true, requestId, stationId: entry.stationId, certificate: issued.certificatePem, ca: this.o.stationCaPem, stationFile, notAfter: issued.notAfter.toISOString() };
  }

  private async renew(stationId: string, payload: Buffer): Promise<RenewalReply> {
    const req = parse(payload, renewalRequestSchema);
    await verifyCsr(req.csr);
    // The CN is the topic's station id, which the broker's ACL ties to the certificate that published it.
    const issued = await this.o.ca.sign(req.csr, stationId);
    this.o.ledger.renewed(stationId, issued.serial, issued.notAfter, new Date(this.now()));
    this.o.log.info({ station: stationId, serial: issued.serial, notAfter: issued.notAfter.toISOString() }, 'station certificate renewed');
    return { ok: true, requestId: req.requestId, stationId, certificate: issued.certificatePem, ca: this.o.stationCaPem, notAfter: issued.notAfter.toISOString() };
  }
}

/** The request id of a payload that may be wrong otherwise, so even a refusal reaches the request it answers. */
function peekRequestId(payload: Buffer): string | undefined {
  try {
    const id: unknown = (JSON.parse(payload.toString('utf8')) as { requestId?: unknown }).requestId;
    return typeof id === 'string' && REQUEST_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

function parse<T>(payload: Buffer, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }): T {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new EnrolmentError('ENROL_BAD_REQUEST', 'the request is not JSON');
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new EnrolmentError('ENROL_BAD_REQUEST', r.error.issues.map((i) => `${i.path.map(String).join('.') || '(top)'}: ${i.message}`).join('; '));
  return r.data;
}

/** The plan entry whose every given key matches: the hardware id, the one-time code, or both. */
function findInPlan(claim: ClaimPlan, req: EnrolRequest): PlanEntry | undefined {
  return claim.stations.find((e) => (e.hardwareId === undefined || e.hardwareId === req.hardwareId) && (e.code === undefined || (req.code !== undefined && sameSecret(e.code, req.code))));
}

/** Compares codes in constant time: a code is a secret, and a reply's timing must not say how much of one matched. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The template with station.id set (comments kept). */
function stationFileFrom(template: string, stationId: string): string {
  const doc = parseDocument(template, { uniqueKeys: true });
  doc.setIn(['station', 'id'], stationId);
  return doc.toString();
}
