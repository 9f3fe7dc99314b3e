import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { timestamp } from '../../cloud-bridge/contract-primitives.js';
import { bundleRefSchema, FINAL_UPDATE_STATES, type UpdateReportState } from '../../cloud-bridge/update-contract.js';
import { RELEASE_ARCHES } from '../../config/release-manifest.js';
import { UsageError } from '../../config/usage-error.js';

/*
 * A rollout's progress file, one JSON line each. First the rollout itself: its id, version,
 * revision and signing time (so a run again signs byte for byte the same documents: Ed25519
 * signatures are deterministic), its rings by station, the bundles. Then, as they happen: the
 * version each station ran before (what a rollback goes back to), each ring's start and end, each
 * station's outcome, and a rollback of a ring with its own revision. A run again reads it all and
 * carries on; lines reach the disk within a quarter second (one sync per batch: a ring of
 * thousands would wait on the disk otherwise). A line lost to a machine that stopped is no harm:
 * that station is followed again, and its retained report says where it stands.
 */

const SYNC_EVERY_MS = 250;

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
  private fd: number | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly file: string,
    readonly header: RolloutHeader,
  ) {}

  static exists(file: string): boolean {
    return existsSync(file);
  }

  /** Starts the progress file of a new rollout; refuses to write over one. */
  static create(file: string, header: RolloutHeader): RolloutProgress {
    if (existsSync(file)) throw new UsageError(`${file} exists: it is the progress of a rollout already`);
    appendFileSync(file, `${JSON.stringify({ rollout: header })}\n`, { flag: 'wx' });
    const progress = new RolloutProgress(file, header);
    progress.sync();
    return progress;
  }

  /** Reads a rollout's progress file back, every line that parses. */
  static open(file: string): RolloutProgress {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the progress file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const lines = text.split('\n');
    const first = headerSchema.safeParse(parse(lines[0] ?? ''));
    if (!first.success) throw new UsageError(`${file} is not a progress file of station-fleet update`);
    const progress = new RolloutProgress(file, first.data.rollout);
    for (const raw of lines.slice(1)) {
      const line = lineSchema.safeParse(parse(raw));
      if (!line.success) continue;
      const l = line.data;
      if ('before' in l) progress.before.set(l.before.station, l.before.running);
      else if ('outcome' in l) progress.phaseOutcomes(l.outcome.phase).set(l.outcome.station, l.outcome);
      else if ('ring' in l) progress.ringEvents.push(l.ring);
      else progress.rollbacks.set(l.rollback.ring, l.rollback);
    }
    // A torn last line would glue itself to the next one written.
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(file, '\n');
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
    this.sync();
  }

  /** Every line recorded on the disk; the file stays usable. */
  close(): void {
    this.sync();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
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
    this.fd ??= openSync(this.file, 'a');
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off);
    this.syncTimer ??= setTimeout(() => this.sync(), SYNC_EVERY_MS);
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
