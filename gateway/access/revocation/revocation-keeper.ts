import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { MAX_REVOCATION_CHARS, revocationsMessageSchema, type RevocationStatus } from '../../../cloud-bridge/revocation-contract.js';
import { replaceFileAtomically } from '../../../config/durable-write.js';
import type { TrustedKeys } from '../../../config/trusted-keys.js';
import { keySetOf, type TrustedKeySet } from '../trusted-key-set.js';
import type { RevocationCheck, RevokedPass } from '../revocation-check.js';
import { verifyRevocationDocument } from './revocation-document.js';
import { RevocationError, type RevocationCode } from './revocation-error.js';
import { RevocationList } from './revocation-list.js';

/** The kept list's file name, beside the station's database. */
export const REVOCATIONS_FILE = 'revocations.jws';

/** Where a station keeps its list: beside `storage.path`; none for a database in memory (the fleet simulator). */
export function revocationsFileFor(storagePath: string): string | undefined {
  return storagePath === ':memory:' ? undefined : join(dirname(storagePath), REVOCATIONS_FILE);
}

export interface RevocationKeeperOptions {
  /** The kept list (the JWS text itself); undefined keeps it in memory only. */
  file: string | undefined;
  /**
   * The station's access keys: the authority that issues passes revokes them. The set shared with
   * the token and pass checks: on a reload the kept list stays (it verified when it was accepted)
   * and the next list is checked with the new keys.
   */
  keys: TrustedKeys | TrustedKeySet;
  /** How the fleet's retained list reaches the keeper (the bridge's followFleet); the function returned stops it. */
  follow?: ((listener: (payload: Buffer) => void) => () => void) | undefined;
  /** Told what the station honours now, at start and on every change (for S/status). */
  onStatus?: ((status: RevocationStatus) => void) | undefined;
  now?: () => number;
  log: Logger;
}

export interface RevocationCounts {
  accepted: number;
  refused: Partial<Record<RevocationCode, number>>;
}

/** A message over this is refused unread: the JWS's bound and room for its JSON wrapper. */
const MAX_MESSAGE_BYTES = MAX_REVOCATION_CHARS + 1024;

interface Held {
  list: RevocationList;
  jws: string;
  receivedAt: number;
}

/**
 * The fleet's revocation list as the station honours it, offline: the last accepted list kept on
 * disk as the JWS it came as (so it is verified again at every start), replaced only by a list
 * that verifies and has a greater `seq`. A list refused, or a kept file that no longer verifies,
 * is logged with its code and counted; the station never stops for it.
 */
export class RevocationKeeper implements RevocationCheck {
  private held: Held | undefined;
  private readonly keys: TrustedKeySet;
  private detach: (() => void) | undefined;
  /** Lists are taken one at a time, so two arriving together cannot both pass the seq check. */
  private queue: Promise<void> = Promise.resolve();
  private readonly counters: RevocationCounts = { accepted: 0, refused: {} };
  private readonly now: () => number;

  constructor(private readonly options: RevocationKeeperOptions) {
    this.keys = keySetOf(options.keys);
    this.now = options.now ?? Date.now;
  }

  /** Loads the kept list, then follows the fleet's. */
  async start(): Promise<void> {
    await this.load();
    this.options.onStatus?.(this.status());
    this.detach = this.options.follow?.((payload) => void this.offer(payload));
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
  }

  revoked(pass: RevokedPass): string | undefined {
    return this.held?.list.revoked(pass, this.now());
  }

  status(): RevocationStatus {
    const h = this.held;
    return h ? { seq: h.list.seq, issuedAt: h.list.issuedAt, receivedAt: new Date(h.receivedAt).toISOString() } : null;
  }

  counts(): RevocationCounts {
    return { accepted: this.counters.accepted, refused: { ...this.counters.refused } };
  }

  /**
   * A message from `<prefix>/_fleet/revocations`. Resolves once it is taken or refused (never
   * rejects): a refusal is logged and counted, and the list in use stays.
   */
  offer(payload: Buffer): Promise<void> {
    const next = this.queue.then(() => this.take(payload));
    this.queue = next.catch(() => undefined);
    return next.catch((err: unknown) => {
      if (!(err instanceof RevocationError)) {
        this.options.log.error({ err }, 'a revocation list could not be handled; the list in use stays');
        return;
      }
      this.counters.refused[err.code] = (this.counters.refused[err.code] ?? 0) + 1;
      this.options.log.warn({ code: err.code, err: err.message, seq: this.held?.list.seq ?? null }, 'revocation list refused; the list in use stays');
    });
  }

  private async take(payload: Buffer): Promise<void> {
    // An empty retained message clears the topic at the broker; it is not a list, and clears nothing here.
    if (payload.length === 0) return;
    if (payload.length > MAX_MESSAGE_BYTES) throw new RevocationError('REVOCATION_TOO_LARGE', `the message is ${payload.length} bytes; a station takes at most ${MAX_MESSAGE_BYTES}`);
    let message: unknown;
    try {
      message = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    } catch {
      throw new RevocationError('REVOCATION_MALFORMED', 'the message is not JSON in UTF-8');
    }
    const parsed = revocationsMessageSchema.safeParse(message);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      if (issue?.code === 'too_big') throw new RevocationError('REVOCATION_TOO_LARGE', `the list is over ${MAX_REVOCATION_CHARS} characters`);
      throw new RevocationError('REVOCATION_MALFORMED', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'not a revocations message'}`);
    }
    const jws = parsed.data.document;
    // The retained message comes again on every connect: the list in use, taken silently.
    if (jws === this.held?.jws) return;
    const list = new RevocationList(await verifyRevocationDocument(jws, this.keys.current));
    const kept = this.held?.list.seq;
    if (kept !== undefined && list.seq <= kept) throw new RevocationError('REVOCATION_NOT_NEWER', `seq ${list.seq} is not greater than the kept list's ${kept}: an old list replayed`);
    this.held = { list, jws, receivedAt: this.now() };
    this.counters.accepted++;
    this.save(jws);
    this.options.log.info({ seq: list.seq, issuedAt: list.issuedAt, passes: list.payload.passes.length, workers: list.payload.workers.length }, 'revocation list taken');
    this.options.onStatus?.(this.status());
  }

  private save(jws: string): void {
    const file = this.options.file;
    if (!file) return;
    try {
      replaceFileAtomically(file, jws);
    } catch (err) {
      // Honoured until the gateway stops; the retained list comes again at the next start.
      this.counters.refused.REVOCATION_NOT_SAVED = (this.counters.refused.REVOCATION_NOT_SAVED ?? 0) + 1;
      this.options.log.error({ code: 'REVOCATION_NOT_SAVED', file, err: (err as Error).message }, 'revocation list taken but not written to disk');
    }
  }

  private async load(): Promise<void> {
    const file = this.options.file;
    if (!file) return;
    let jws: string;
    let receivedAt: number;
    try {
      jws = readFileSync(file, 'utf8').trim();
      receivedAt = statSync(file).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      return this.damaged(file, (err as Error).message);
    }
    try {
      const list = new RevocationList(await verifyRevocationDocument(jws, this.keys.current));
      this.held = { list, jws, receivedAt: Math.round(receivedAt) };
      this.options.log.info({ file, seq: list.seq, issuedAt: list.issuedAt }, 'kept revocation list loaded');
    } catch (err) {
      this.damaged(file, err instanceof RevocationError ? `${err.code}: ${err.message}` : String(err));
    }
  }

  /** A kept file that cannot be used: the station runs with no list, says so, and takes the fleet's when it comes. */
  private damaged(file: string, why: string): void {
    this.counters.refused.REVOCATION_FILE_DAMAGED = (this.counters.refused.REVOCATION_FILE_DAMAGED ?? 0) + 1;
    this.options.log.error({ code: 'REVOCATION_FILE_DAMAGED', file, err: why }, 'the kept revocation list is unusable; running with none until the fleet\'s arrives');
  }
}
