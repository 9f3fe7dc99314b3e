import { existsSync } from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { CommandError } from '../../../cloud-bridge/command-handler.js';
import type { CommandRequest, DoctorResult } from '../../../cloud-bridge/contract-schemas.js';
import { FloodCounter } from '../../../cloud-bridge/limits/flood-counter.js';
import { TokenBucket } from '../../../cloud-bridge/limits/token-bucket.js';
import { AccessDenied, UnverifiedToken } from '../../access/access-error.js';
import type { DiagnoseAuthority, DiagnoseCredential } from '../../access/diagnose-authority.js';
import type { AccessClaims } from '../../access/token-verifier.js';
import type { NewEvent } from '../../store/event-outbox.js';
import { StoreFullError } from '../../store/store-errors.js';
import { LOGS_PAGE_BYTES, readLogPage } from './log-pages.js';
import { MAX_PACKET_BYTES } from '../../../cloud-bridge/mqtt-frame-scanner.js';

/** The least a page may hold: a few ordinary events, so paging always moves on. */
const MIN_PAGE_BYTES = 4 * 1024;

export type DiagnosticsCommand = 'logs' | 'doctor';

/** A page is up to 48 KiB: 60 a minute (burst 60) is under 50 KB/s on the uplink at worst, and pages a day of a busy station in a minute. */
export const DIAGNOSTICS_PER_MINUTE = 60;

export interface DiagnosticsServiceOptions {
  authority: DiagnoseAuthority;
  /** Where the audit goes: the outbox, so `S/events` and `station-gateway log` carry it. */
  outbox: { append(event: NewEvent): unknown };
  /** The usage log, opened for one request and closed after it. */
  openLog: () => Database;
  /** The doctor checks safe on a running station (collectDoctorFacts). */
  doctor: () => DoctorResult;
  log: Logger;
  monotonic?: () => number;
}

/**
 * `cmd/logs` and `cmd/doctor`: read-only, for an operator token or an operator pass's rolling code for `diagnose` (DiagnoseAuthority),
 * and each request on record as a `diagnostics.requested` event, granted or refused, with who,
 * what and how much was sent. Junk (no valid signature) and rate-limited requests are recorded
 * once a minute per kind with the count since, as the access log does: a flood must not fill
 * the disk. Nothing here runs a command or a shell; the answers are the two fixed reads.
 */
export class DiagnosticsService {
  private readonly budget: TokenBucket;
  private readonly floods: FloodCounter;

  constructor(private readonly options: DiagnosticsServiceOptions) {
    const monotonic = options.monotonic ?? (() => performance.now());
    this.budget = new TokenBucket(DIAGNOSTICS_PER_MINUTE / 60, DIAGNOSTICS_PER_MINUTE, monotonic);
    this.floods = new FloodCounter(monotonic);
  }

  /** `replyOverheadBytes`: what the reply takes beyond its result (CommandContext); a logs page leaves room for it. */
  async handle<N extends DiagnosticsCommand>(name: N, request: CommandRequest<N>, replyOverheadBytes = 0): Promise<Record<string, unknown>> {
    const filters = name === 'logs' ? filtersOf(request as CommandRequest<'logs'>) : undefined;
    let signed: DiagnoseCredential;
    try {
      signed = await this.options.authority.authenticate(request.token);
    } catch (err) {
      if (err instanceof UnverifiedToken) this.refusedInBulk(name, err, `junk ${name} ${err.code}`, filters);
      else if (err instanceof AccessDenied) this.audit({ command: name, granted: false, code: err.code, reason: err.message, ...(filters ? { filters } : {}) });
      throw err;
    }
    const named = this.options.authority.named(signed);
    if (this.budget.take(1) === 0) {
      const busy = new AccessDenied('BUSY', `at most ${DIAGNOSTICS_PER_MINUTE} diagnostics requests a minute; wait a little`);
      this.refusedInBulk(name, busy, `busy ${name}`, filters, named.sub);
      throw busy;
    }
    let claims: AccessClaims;
    try {
      claims = this.options.authority.check(signed);
    } catch (err) {
      if (err instanceof AccessDenied) {
        const { sub, act, res, ref } = named;
        this.audit({ command: name, granted: false, code: err.code, reason: err.message, sub, ...ref, act, res, ...(filters ? { filters } : {}) });
      }
      throw err;
    }
    // A token by its jti, a rolling code by its pass and step (its jti is a replay key, never claimed here).
    const who = { sub: claims.sub, role: claims.role, ...named.ref, kid: claims.kid };
    if (name === 'doctor') {
      let result: DoctorResult;
      try {
        result = fitDoctor(this.options.doctor(), MAX_PACKET_BYTES - replyOverheadBytes);
      } catch (err) {
        if (err instanceof CommandError) this.audit({ command: name, granted: false, code: err.code, reason: err.message, ...who });
        throw err;
      }
      this.audit({ command: name, granted: true, ...who, checks: result.checks.length, ok: result.ok });
      return { ...result };
    }
    let db: Database;
    try {
      db = this.options.openLog();
    } catch (err) {
      const message = `the usage log cannot be read: ${(err as Error).message}`;
      this.audit({ command: name, granted: false, code: 'INTERNAL', reason: message, ...who, filters });
      throw new CommandError('INTERNAL', message);
    }
    try {
      const page = readLogPage(db, request as CommandRequest<'logs'>, pageBytesFor(replyOverheadBytes));
      const rows = page.result.rows.length;
      this.audit({ command: name, granted: true, ...who, filters, rows, truncated: page.result.truncated, ...(page.omitted ? { omitted: page.omitted } : {}) });
      return { ...page.result };
    } catch (err) {
      if (err instanceof CommandError) this.audit({ command: name, granted: false, code: err.code, reason: err.message, ...who, filters });
      throw err;
    } finally {
      db.close();
    }
  }

  private refusedInBulk(command: DiagnosticsCommand, err: AccessDenied, key: string, filters: Record<string, unknown> | undefined, sub?: string): void {
    const attempts = this.floods.note(key);
    if (attempts === undefined) return;
    this.audit({ command, granted: false, code: err.code, reason: err.message, attempts, ...(sub !== undefined ? { sub } : {}), ...(filters ? { filters } : {}) });
  }

  /**
   * On record before the reply goes out. A full disk does not stop the answer (an operator asks
   * most when something is wrong); the gateway's own log then carries the same line.
   */
  private audit(data: Record<string, unknown>): void {
    const event = { type: 'diagnostics.requested', data: { via: 'cloud', ...data } };
    try {
      this.options.outbox.append(event);
    } catch (err) {
      if (!(err instanceof StoreFullError)) throw err;
      this.options.log.warn({ ...event.data, code: 'STORE_FULL' }, 'diagnostics request not recorded in the usage log (disk full)');
      return;
    }
    this.options.log.info({ command: data['command'], granted: data['granted'], code: data['code'], sub: data['sub'] }, 'diagnostics request');
  }
}

/**
 * A page's budget: LOGS_PAGE_BYTES, less where the request's own reply topic and correlation
 * data are so long that the packet would pass MAX_PACKET_BYTES; too little room left is refused.
 */
function pageBytesFor(replyOverheadBytes: number): number {
  const room = Math.min(LOGS_PAGE_BYTES, MAX_PACKET_BYTES - replyOverheadBytes);
  if (room < MIN_PAGE_BYTES) {
    throw new CommandError('BAD_REQUEST', `the reply topic and correlation data take ${replyOverheadBytes} bytes; a page needs ${MIN_PAGE_BYTES} of the ${MAX_PACKET_BYTES} a packet holds`);
  }
  return room;
}

/**
 * A doctor result within `room` bytes. A station of some hundred devices would not fit: the
 * per-device rows of `checks` repeat `devices`, so the passing ones go first; past that the
 * request is refused rather than the packet (the broker would drop the station's connection).
 */
function fitDoctor(result: DoctorResult, room: number): DoctorResult {
  const size = (r: DoctorResult): number => Buffer.byteLength(JSON.stringify(r));
  if (size(result) <= room) return result;
  const lean = { ...result, checks: result.checks.filter((c) => !(c.check.startsWith('device ') && c.status === 'pass')) };
  if (size(lean) <= room) return lean;
  throw new CommandError('INTERNAL', `the doctor result of ${result.devices.length} devices takes ${size(lean)} bytes, more than one reply holds (${room}); the retained S/devices/<id> topics carry each device's health`);
}

/** The filters as the request gave them, for the audit record: what was asked, not what matched. */
function filtersOf(r: CommandRequest<'logs'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['since', 'until', 'type', 'device', 'sessions', 'limit', 'cursor'] as const) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

/** The usage log read-only beside the running gateway, as `station-gateway log` reads it. */
export function openUsageLog(path: string): Database {
  if (!existsSync(path)) throw new Error(`no database at ${path} yet`);
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}
