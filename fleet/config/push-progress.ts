import { z } from 'zod';
import { timestamp } from '../../cloud-bridge/contract-primitives.js';
import { FINAL_CONFIG_STATES } from '../../cloud-bridge/remote-config-contract.js';
import { UsageError } from '../../config/usage-error.js';
import { ProgressLog } from './progress-log.js';

/*
 * A push's progress file, one JSON line each: the push itself first (its revision and the time it
 * was signed, so a resumed push signs byte for byte the same documents: Ed25519 signatures are
 * deterministic), then one line per station as it reaches its outcome. A push run again with the
 * file skips the stations it lists (fleet/config/progress-log.ts says how lines reach the disk).
 */

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

  private constructor(
    private readonly log: ProgressLog,
    readonly header: PushHeader,
  ) {}

  get file(): string {
    return this.log.file;
  }

  /** Opens the progress of this push, or starts one; a file of another push is refused. */
  static open(file: string, wanted: Omit<PushHeader, 'issuedAt' | 'startedAt'>, now: Date): { progress: PushProgress; resumed: boolean } {
    if (!ProgressLog.exists(file)) {
      const header: PushHeader = { ...wanted, issuedAt: now.toISOString(), startedAt: now.toISOString() };
      return { progress: new PushProgress(ProgressLog.create(file, { push: header }), header), resumed: false };
    }
    const { lines, log } = ProgressLog.resume(file);
    const first = headerSchema.safeParse(lines[0]);
    if (!first.success) throw new UsageError(`${file} is not a progress file of station-fleet config push`);
    const header = first.data.push;
    if (header.revision !== wanted.revision || header.file !== wanted.file) {
      throw new UsageError(`${file} is the progress of pushing ${header.file} as revision ${header.revision}; give this push (${wanted.file}, revision ${wanted.revision}) a progress file of its own`);
    }
    const progress = new PushProgress(log, header);
    for (const line of lines.slice(1)) {
      const outcome = outcomeSchema.safeParse(line);
      if (outcome.success) progress.done.set(outcome.data.station, outcome.data);
    }
    return { progress, resumed: true };
  }

  record(outcome: StationOutcome): void {
    this.done.set(outcome.station, outcome);
    this.log.append(outcome);
  }

  /** Every line recorded on the disk; the file stays usable. */
  close(): void {
    this.log.close();
  }
}
