import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { replaceFileAtomically } from '../../config/durable-write.js';
import { EnrolmentError } from '../../gateway/enrolment/enrolment-error.js';

/*
 * How often each claim has been used, which one-time codes are spent, and what was issued: the
 * enrolment service's memory across restarts, one JSON file rewritten atomically (temp, fsync,
 * rename) after every change. A use is counted before the certificate is signed, so a crash
 * between the two can cost a use but never give one twice.
 */

const enrolment = z.strictObject({
  stationId: z.string(),
  hardwareId: z.string(),
  requestId: z.string(),
  at: z.string(),
  serial: z.string().optional(),
  notAfter: z.string().optional(),
});

const stateSchema = z.strictObject({
  version: z.literal(1),
  claims: z.record(z.string(), z.strictObject({ used: z.number().int().min(0), enrolments: z.array(enrolment) })),
  /** By claim id and the code's SHA-256: the file need not hold the codes themselves. */
  codes: z.record(z.string(), z.strictObject({ stationId: z.string(), at: z.string() })),
  renewals: z.record(z.string(), z.strictObject({ count: z.number().int().min(0), serial: z.string(), notAfter: z.string(), at: z.string() })),
});
type State = z.infer<typeof stateSchema>;

export interface Reservation {
  claimId: string;
  stationId: string;
  hardwareId: string;
  requestId: string;
  code?: string | undefined;
  at: Date;
}

export class ClaimLedger {
  private constructor(
    readonly path: string,
    private state: State,
  ) {}

  /** Opens the state file, or starts an empty one if there is none; any other problem is `ENROL_STATE`. */
  static open(path: string): ClaimLedger {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new ClaimLedger(path, { version: 1, claims: {}, codes: {}, renewals: {} });
      throw new EnrolmentError('ENROL_STATE', `cannot read ${path}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new EnrolmentError('ENROL_STATE', `${path} is not JSON (${(err as Error).message}); restore it from a backup, never delete it`);
    }
    const r = stateSchema.safeParse(json);
    if (!r.success) throw new EnrolmentError('ENROL_STATE', `${path} is not an enrolment state file: ${r.error.issues[0]?.message ?? ''}`);
    return new ClaimLedger(path, r.data);
  }

  usesOf(claimId: string): number {
    return this.state.claims[claimId]?.used ?? 0;
  }

  enrolmentsOf(claimId: string): ReadonlyArray<z.infer<typeof enrolment>> {
    return this.state.claims[claimId]?.enrolments ?? [];
  }

  /**
   * Counts one use of the claim (and spends the code) and writes the file, or refuses: the claim's
   * uses are spent (`ENROL_CLAIM_SPENT`), the code was used (`ENROL_CODE_USED`).
   */
  reserve(r: Reservation, allowedUses: number): void {
    const used = this.usesOf(r.claimId);
    if (used >= allowedUses) {
      throw new EnrolmentError('ENROL_CLAIM_SPENT', `claim ${r.claimId} has been used ${used} time${used === 1 ? '' : 's'} of ${allowedUses}`);
    }
    const codeKey = r.code === undefined ? undefined : `${r.claimId}/${createHash('sha256').update(r.code).digest('hex')}`;
    if (codeKey !== undefined) {
      const spent = this.state.codes[codeKey];
      if (spent) throw new EnrolmentError('ENROL_CODE_USED', `the one-time code enrolled station ${spent.stationId} at ${spent.at} already`);
    }
    const next = structuredClone(this.state);
    const claim = (next.claims[r.claimId] ??= { used: 0, enrolments: [] });
    claim.used += 1;
    claim.enrolments.push({ stationId: r.stationId, hardwareId: r.hardwareId, requestId: r.requestId, at: r.at.toISOString() });
    if (codeKey !== undefined) next.codes[codeKey] = { stationId: r.stationId, at: r.at.toISOString() };
    this.save(next);
  }

  /** What was signed for a reservation, for the record. */
  issued(claimId: string, requestId: string, serial: string, notAfter: Date): void {
    const next = structuredClone(this.state);
    const e = next.claims[claimId]?.enrolments.find((x) => x.requestId === requestId);
    if (!e) return;
    e.serial = serial;
    e.notAfter = notAfter.toISOString();
    this.save(next);
  }

  renewed(stationId: string, serial: string, notAfter: Date, at: Date): void {
    const next = structuredClone(this.state);
    next.renewals[stationId] = { count: (next.renewals[stationId]?.count ?? 0) + 1, serial, notAfter: notAfter.toISOString(), at: at.toISOString() };
    this.save(next);
  }

  /** The file first, then memory: a write that fails leaves both as they were. */
  private save(next: State): void {
    replaceFileAtomically(this.path, `${JSON.stringify(next, null, 2)}\n`, 0o600);
    this.state = next;
  }
}
