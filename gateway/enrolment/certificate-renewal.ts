import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../config/clock.js';
import { errorEntry } from '../../config/error-catalogue.js';
import type { Part } from '../lifecycle/part.js';
import { certificateExpiry, checkIssuedCertificate, daysToExpiry } from './certificate.js';
import { EnrolmentError, type EnrolmentErrorCode } from './enrolment-error.js';
import type { EnrolmentLink } from './enrolment-link.js';
import { renewalReplySchema, renewalTopics, type RenewalReply, type RenewalRequest } from './enrolment-protocol.js';
import type { KeyStore } from './key-store.js';

const HOUR_MS = 3_600_000;

export interface CertificateRenewalOptions {
  stationId: string;
  topicPrefix: string;
  keys: KeyStore;
  clock: Clock;
  /** The station's own connection (its mTLS identity is what the service signs for). */
  link: EnrolmentLink;
  /**
   * Ends the bridge's connection and connects again, reading cloud.cert/key anew (they now name the
   * renewed pair); resolves once the broker accepted it, rejects when it did not within its bound.
   */
  reconnect: () => Promise<void>;
  log: Logger;
  /** Renew once the certificate expires within this many days (default 30). */
  renewBeforeDays?: number;
  /** The first check after start (default 60 s, once the bridge has had time to connect). */
  firstCheckMs?: number;
  /** Between checks while not due (default 6 h; sooner when due before that). */
  checkEveryMs?: number;
  /** After a failed renewal (default 1 h). */
  retryMs?: number;
  /** How long to wait for the service's answer (default 60 s). */
  replyTimeoutMs?: number;
}

export type RenewalOutcome =
  | { renewed: true; generation: string; notAfter: Date }
  | { renewed: false; reason: 'not-due'; daysLeft: number }
  | { renewed: false; reason: 'rolled-back'; code: EnrolmentErrorCode };

/**
 * Renews the station's certificate before it expires, by the enrolment path on the station's own
 * tree: a new key and CSR, `S/enrol/request` → `S/enrol/reply` over the mTLS connection, the new
 * pair written beside the old and switched to in one rename, then one reconnect. The old pair is
 * kept until the new one has connected; if it does not, the station switches back and connects
 * with the old one again. A failed renewal leaves everything as it was and is tried again later.
 */
export class CertificateRenewal implements Part {
  readonly name = 'certificate-renewal';
  readonly needs = ['bridge'] as const;
  private cancel: (() => void) | undefined;
  private running: Promise<RenewalOutcome> | undefined;
  private stopped = false;
  private readonly renewBeforeDays: number;

  constructor(private readonly o: CertificateRenewalOptions) {
    this.renewBeforeDays = o.renewBeforeDays ?? 30;
  }

  start(): Promise<void> {
    this.stopped = false;
    this.schedule(this.o.firstCheckMs ?? 60_000);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Days to expiry of the certificate the station connects with now (doctor, /metrics, S/status). */
  daysLeft(): number | undefined {
    const generation = this.o.keys.current();
    const dates = generation === undefined ? undefined : certificateExpiry(this.o.keys.certificatePem(generation));
    return dates && daysToExpiry(dates.notAfter.getTime(), this.o.clock.now());
  }

  /** Renews if due (one at a time: a second call while one runs gets the same outcome). */
  renewIfDue(): Promise<RenewalOutcome> {
    this.running ??= this.renewIfDueOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancel?.();
    this.cancel = this.o.clock.after(ms, () => void this.tick());
  }

  private async tick(): Promise<void> {
    this.cancel = undefined;
    let next = this.o.retryMs ?? HOUR_MS;
    try {
      const outcome = await this.renewIfDue();
      const untilDue = ((this.daysLeft() ?? 0) - this.renewBeforeDays) * 24 * HOUR_MS;
      // A renewed certificate that is due at once (its validity shorter than renewBeforeDays) waits
      // for the retry like a failure, rather than being renewed again every minute.
      if (outcome.renewed || outcome.reason === 'not-due') next = untilDue > 0 ? Math.max(60_000, Math.min(this.o.checkEveryMs ?? 6 * HOUR_MS, untilDue)) : next;
      if (outcome.renewed && untilDue <= 0) this.o.log.warn({ notAfter: outcome.notAfter.toISOString(), renewBeforeDays: this.renewBeforeDays }, 'the renewed certificate is due for renewal already: its validity is shorter than renewBeforeDays');
    } catch (err) {
      const code = err instanceof EnrolmentError ? err.code : undefined;
      this.o.log.warn({ code: 'RENEWAL_FAILED', cause: code, err: code ? undefined : err }, `certificate renewal failed: ${(err as Error).message}`);
    }
    this.schedule(next);
  }

  private async renewIfDueOnce(): Promise<RenewalOutcome> {
    const daysLeft = this.daysLeft();
    if (daysLeft !== undefined && daysLeft > this.renewBeforeDays) return { renewed: false, reason: 'not-due', daysLeft };
    return this.renew();
  }

  private async renew(): Promise<RenewalOutcome> {
    const { stationId, keys, log } = this.o;
    // pkijs and asn1js only for the minutes of a renewal, not resident in every station.
    const { makeKeyAndCsr } = await import('./csr.js');
    const { privateKeyPem, csrPem } = await makeKeyAndCsr(stationId);
    const request: RenewalRequest = { requestId: randomBytes(12).toString('base64url'), csr: csrPem };
    const reply = await this.ask(request);
    if (!reply.ok) {
      const code = errorEntry(reply.error.code)?.area === 'enrolment' ? (reply.error.code as EnrolmentErrorCode) : 'ENROL_BAD_REPLY';
      throw new EnrolmentError(code, `refused by the enrolment service: ${reply.error.code}: ${reply.error.message}`);
    }
    const { notAfter } = checkIssuedCertificate({ certificatePem: reply.certificate, caPem: reply.ca, privateKeyPem, stationId, nowMs: this.o.clock.now() });

    const generation = keys.stage(privateKeyPem, reply.certificate, new Date(this.o.clock.now()));
    const old = keys.activate(generation);
    try {
      await this.o.reconnect();
    } catch (err) {
      // No pair before (keys written by hand into this layout): nothing to go back to.
      if (old === undefined) throw err;
      keys.activate(old);
      log.warn({ code: 'RENEWAL_ROLLED_BACK', generation, err }, 'the renewed certificate did not connect; back on the old one');
      await this.o.reconnect().catch((again: unknown) => log.error({ err: again }, 'reconnecting with the old certificate failed too; the bridge keeps trying'));
      keys.discard(generation);
      return { renewed: false, reason: 'rolled-back', code: 'RENEWAL_ROLLED_BACK' };
    }
    // Connected with the new pair: only now is the old one no longer needed.
    if (old !== undefined && old !== generation) keys.discard(old);
    log.info({ generation, notAfter: notAfter.toISOString() }, 'certificate renewed');
    return { renewed: true, generation, notAfter };
  }

  private async ask(request: RenewalRequest): Promise<RenewalReply> {
    const { link, clock, topicPrefix, stationId } = this.o;
    const timeoutMs = this.o.replyTimeoutMs ?? 60_000;
    const replyTopic = renewalTopics.reply(topicPrefix, stationId);
    let settle: ((r: RenewalReply) => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    const answer = new Promise<RenewalReply>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    const unsubscribe = await link.subscribe(replyTopic, (payload) => {
      let parsed: RenewalReply;
      try {
        const r = renewalReplySchema.safeParse(JSON.parse(payload.toString('utf8')));
        if (!r.success) return;
        parsed = r.data;
      } catch {
        return;
      }
      // Another attempt's answer (an earlier one that timed out) is not this one's.
      if (parsed.requestId === request.requestId) settle?.(parsed);
    });
    const cancelTimer = clock.after(timeoutMs, () => fail?.(new EnrolmentError('ENROL_NO_REPLY', `no answer on ${replyTopic} within ${timeoutMs / 1000} s`)));
    try {
      await link.publish(renewalTopics.request(topicPrefix, stationId), JSON.stringify(request));
      return await answer;
    } finally {
      cancelTimer();
      await unsubscribe();
    }
  }
}
