import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { timestamp } from '../../cloud-bridge/contract-primitives.js';
import { FINAL_CONFIG_STATES } from '../../cloud-bridge/remote-config-contract.js';
import { UsageError } from '../../config/usage-error.js';

/*
 * A push's progress file, one JSON line each: the push itself first (its revision and the time it
 * was signed, so a resumed push signs byte for byte the same documents: Ed25519 signatures are
 * deterministic), then one line per station as it reaches its outcome. A push run again with the
 * file skips the stations it lists. Lines reach the disk within a quarter second (one sync per
 * batch, not per station: a push to thousands would wait on the disk). A line lost or torn by a
 * machine that stopped is no harm: that station is looked at again, and its retained report says
 * it has the document already.
 */

const SYNC_EVERY_MS = 250;

const headerSchema = z.strictObject({ push: z.strictObject({ revision: z.number().int().min(1), issuedAt: timestamp, file: z.string(), startedAt: timestamp }) });
export type PushHeader = z.infer<typeof headerSchema>['push'];

const outcomeSchema = z.strictObject({
  station: z.string(),
  state: z.enum(FINAL_CONFIG_STATES as ['applied', 'rejected', 'rolled-back']),
  revision: z.number().int().nullable(),
  running: z.number().int().nullable(),
  code: z.string().optional(),
  problems: z.array(z.string()),
  ts: timestamp,
});
export type StationOutcome = z.infer<typeof outcomeSchema>;

export class PushProgress {
  readonly done = new Map<string, StationOutcome>();
  private fd: number | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly file: string,
    readonly header: PushHeader,
  ) {}

  /** Opens the progress of this push, or starts one; a file of another push is refused. */
  static open(file: string, wanted: Omit<PushHeader, 'issuedAt' | 'startedAt'>, now: Date): { progress: PushProgress; resumed: boolean } {
    if (!existsSync(file)) {
      const header: PushHeader = { ...wanted, issuedAt: now.toISOString(), startedAt: now.toISOString() };
      appendFileSync(file, `${JSON.stringify({ push: header })}\n`);
      const progress = new PushProgress(file, header);
      progress.sync();
      return { progress, resumed: false };
    }
    const lines = readFileSync(file, 'utf8').split('\n');
    const first = headerSchema.safeParse(parse(lines[0] ?? ''));
    if (!first.success) throw new UsageError(`${file} is not a progress file of station-fleet config push`);
    const header = first.data.push;
    if (header.revision !== wanted.revision || header.file !== wanted.file) {
      throw new UsageError(`${file} is the progress of pushing ${header.file} as revision ${header.revision}; give this push (${wanted.file}, revision ${wanted.revision}) a progress file of its own`);
    }
    const progress = new PushProgress(file, header);
    for (const line of lines.slice(1)) {
      const outcome = outcomeSchema.safeParse(parse(line));
      if (outcome.success) progress.done.set(outcome.data.station, outcome.data);
    }
    // A torn last line would glue itself to the next one written.
    const text = readFileSync(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(file, '\n');
    return { progress, resumed: true };
  }

  record(outcome: StationOutcome): void {
    this.done.set(outcome.station, outcome);
    this.fd ??= openSync(this.file, 'a');
    const bytes = Buffer.from(`${JSON.stringify(outcome)}\n`);
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off);
    this.syncTimer ??= setTimeout(() => this.sync(), SYNC_EVERY_MS);
  }

  /** Every line recorded on the disk; the file stays usable. */
  close(): void {
    this.sync();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private sync(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    const fd = this.fd ?? openSync(this.file, 'r');
    try {
      fsyncSync(fd);
    } finally {
      if (this.fd === undefined) closeSync(fd);
    }
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
