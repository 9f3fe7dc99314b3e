import { z } from 'zod';
import { timestamp } from '../../cloud-bridge/contract-primitives.js';
import { bundleRefSchema, FINAL_UPDATE_STATES, type UpdateReportState } from '../../cloud-bridge/update-contract.js';
import { RELEASE_ARCHES } from '../../config/release-manifest.js';
import { UsageError } from '../../config/usage-error.js';
import { ProgressLog } from '../config/progress-log.js';

/*
 * A rollout's progress file, one JSON line each. First the rollout itself: its id, version,
 * revision and signing time (so a run again signs byte for byte the same documents: Ed25519
 * signatures are deterministic), its rings by station, the bundles. Then, as they happen: the
 * version each station ran before (what a rollback goes back to), each ring's start and end, each
 * station's outcome, and a rollback of a ring with its own revision. A run again reads it all and
 * carries on (fleet/config/progress-log.ts says how lines reach the disk).
 */

const bundlesSchema = z.partialRecord(z.enum(RELEASE_ARCHES), bundleRefSchema);

const headerSchema = z.strictObject({
  rollout: z.strictObject({
    id: z.string(),
    version: z.string(),
    revision: z.number().int().min(1),
    issuedAt: timestamp,
    startedAt: timestamp,
    ringSpec: z.string(),
    stations: z.string().describe('fingerprint of the station list'),
    rings: z.array(z.array(z.string())),
    bundles: bundlesSchema,
  }),
});
export type RolloutHeader = z.infer<typeof headerSchema>['rollout'];

/** `rollout`, or `rollback-<ring>` for a rollback of that ring. */
export type Phase = string;
export const rollbackPhase = (ring: number): Phase => `rollback-${ring}`;

/** What a station ended with; `timed-out` is not final: a run again follows it again. */
export const OUTCOME_STATES = ['committed', 'rejected', 'rolled-back', 'timed-out'] as const;
export type OutcomeState = (typeof OUTCOME_STATES)[number];

const outcomeSchema = z.strictObject({
  phase: z.string(),
  station: z.string(),
  state: z.enum(OUTCOME_STATES),
  running: z.string().nullable(),
  code: z.string().optional(),
  problems: z.array(z.string()),
  ts: timestamp,
});
export type StationOutcome = z.infer<typeof outcomeSchema>;

const ringEventSchema = z.strictObject({
  phase: z.string(),
  ring: z.number().int().min(1),
  event: z.enum(['started', 'passed', 'stopped', 'finished']),
  failures: z.number().int().min(0).optional(),
  allowed: z.number().int().min(0).optional(),
  ts: timestamp,
});
export type RingEvent = z.infer<typeof ringEventSchema>;

const rollbackSchema = z.strictObject({ ring: z.number().int().min(1), id: z.string(), revision: z.number().int().min(1), issuedAt: timestamp, startedAt: timestamp });
export type RollbackHeader = z.infer<typeof rollbackSchema>;

const lineSchema = z.union([
  z.strictObject({ before: z.strictObject({ station: z.string(), running: z.string() }) }),
  z.strictObject({ outcome: outcomeSchema }),
  z.strictObject({ ring: ringEventSchema }),
  z.strictObject({ rollback: rollbackSchema }),
]);

export const isFinal = (state: OutcomeState | UpdateReportState): boolean => (FINAL_UPDATE_STATES as readonly string[]).includes(state);

export class RolloutProgress {
  /** The version each station ran before the rollout reached it. */
  readonly before = new Map<string, string>();
  /** Per phase, the last outcome of each station. */
  private readonly outcomes = new Map<Phase, Map<string, StationOutcome>>();
  private readonly ringEvents: RingEvent[] = [];
  readonly rollbacks = new Map<number, RollbackHeader>();

  private constructor(
    private readonly log: ProgressLog,
    readonly header: RolloutHeader,
  ) {}

  get file(): string {
    return this.log.file;
  }

  static exists(file: string): boolean {
    return ProgressLog.exists(file);
  }

  /** Starts the progress file of a new rollout; refuses to write over one. */
  static create(file: string, header: RolloutHeader): RolloutProgress {
    if (ProgressLog.exists(file)) throw new UsageError(`${file} exists: it is the progress of a rollout already`);
    return new RolloutProgress(ProgressLog.create(file, { rollout: header }), header);
  }

  /** Reads a rollout's progress file back, every line that parses. */
  static open(file: string): RolloutProgress {
    let read: ReturnType<typeof ProgressLog.resume>;
    try {
      read = ProgressLog.resume(file);
    } catch (err) {
      throw new UsageError(`cannot read the progress file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const first = headerSchema.safeParse(read.lines[0]);
    if (!first.success) throw new UsageError(`${file} is not a progress file of station-fleet update`);
    const progress = new RolloutProgress(read.log, first.data.rollout);
    for (const raw of read.lines.slice(1)) {
      const line = lineSchema.safeParse(raw);
      if (!line.success) continue;
      const l = line.data;
      if ('before' in l) progress.before.set(l.before.station, l.before.running);
      else if ('outcome' in l) progress.phaseOutcomes(l.outcome.phase).set(l.outcome.station, l.outcome);
      else if ('ring' in l) progress.ringEvents.push(l.ring);
      else progress.rollbacks.set(l.rollback.ring, l.rollback);
    }
    return progress;
  }

  outcomesOf(phase: Phase): ReadonlyMap<string, StationOutcome> {
    return this.phaseOutcomes(phase);
  }

  /** Whether a station of this phase is done: a run again publishes nothing more to it. */
  isDone(phase: Phase, station: string): boolean {
    const o = this.phaseOutcomes(phase).get(station);
    return o !== undefined && isFinal(o.state);
  }

  /** The last event of a ring in a phase. */
  lastRingEvent(phase: Phase, ring: number): RingEvent | undefined {
    return this.ringEvents.filter((e) => e.phase === phase && e.ring === ring).at(-1);
  }

  recordBefore(station: string, running: string): void {
    if (this.before.has(station)) return;
    this.before.set(station, running);
    this.append({ before: { station, running } });
  }

  recordOutcome(outcome: StationOutcome): void {
    this.phaseOutcomes(outcome.phase).set(outcome.station, outcome);
    this.append({ outcome });
  }

  recordRing(event: RingEvent): void {
    this.ringEvents.push(event);
    this.append({ ring: event });
  }

  recordRollback(rollback: RollbackHeader): void {
    this.rollbacks.set(rollback.ring, rollback);
    this.append({ rollback });
    this.log.sync();
  }

  /** Every line recorded on the disk; the file stays usable. */
  close(): void {
    this.log.close();
  }

  private phaseOutcomes(phase: Phase): Map<string, StationOutcome> {
    let m = this.outcomes.get(phase);
    if (!m) {
      m = new Map();
      this.outcomes.set(phase, m);
    }
    return m;
  }

  private append(line: unknown): void {
    this.log.append(line);
  }
}

