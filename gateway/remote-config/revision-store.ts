import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DOCUMENT_STATION_FILE, unsafeDocumentPath } from '../../cloud-bridge/remote-config-contract.js';
import { RemoteConfigError } from './remote-config-error.js';
import { replaceFileAtomically, syncFolder, writeSyncedFile } from '../../config/durable-write.js';

/*
 * The station's configuration revisions on disk:
 *
 *   <stateDir>/active.json              the pointer: which revision runs, which was last good
 *   <stateDir>/revisions/<rev>/...      one folder per revision, written once, never changed
 *   <stateDir>/revisions/.stage-*       a revision being written (removed at the next open)
 *
 * A revision's folder is written under a temporary name, synced and renamed into place before the
 * pointer names it; the pointer is replaced atomically. So a kill -9 at any moment leaves a
 * pointer naming complete folders only: the station starts on the old revision or the new one.
 */

export const POINTER_FILE = 'active.json';
export const REVISIONS_DIR = 'revisions';
/** The signed document a revision came from, kept beside its files (its hash is in the report). */
export const DOCUMENT_FILE = '.document.jws';
const STAGE_PREFIX = '.stage-';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const revisionRecordSchema = z.strictObject({
  revision: z.number().int().min(1),
  documentHash: sha256,
  /** Path in the revision folder → SHA-256 of its bytes as written: what drift is measured against. */
  files: z.record(z.string(), sha256),
});
export type RevisionRecord = z.infer<typeof revisionRecordSchema>;

const pointerSchema = z.strictObject({
  version: z.literal(1),
  current: revisionRecordSchema,
  lastGood: revisionRecordSchema.nullable(),
  state: z.enum(['trial', 'committed']),
  trial: z
    .strictObject({
      /** When the health gate ends (informative: a box without a real-time clock cannot rely on it). */
      deadline: z.string(),
      /** Starts of the gateway in this trial; too many and the revision is rolled back at the next. */
      boots: z.number().int().min(0),
      /** The devices online before the apply, which the gate waits for. */
      expectOnline: z.array(z.string()),
    })
    .nullable(),
  /** The on-site station file as it was when the store took over from it, for drift. */
  onSite: z.strictObject({ file: z.string(), sha256: sha256.nullable() }).nullable(),
});
export type StorePointer = z.infer<typeof pointerSchema>;

/** Which station file `run` uses, and why. */
export type ResolvedStation =
  | { source: 'revision'; file: string; dir: string; revision: number; state: 'trial' | 'committed'; pointer: StorePointer }
  | { source: 'on-site'; file: string; revision: undefined; damaged?: RemoteConfigError };

/** A revision written and renamed into place, not yet named by the pointer. */
export interface StagedRevision {
  record: RevisionRecord;
  dir: string;
  stationFile: string;
}

export const hashText = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function hashFile(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

export class RevisionStore {
  readonly revisionsDir: string;
  private readonly pointerFile: string;

  constructor(readonly stateDir: string) {
    this.revisionsDir = join(stateDir, REVISIONS_DIR);
    this.pointerFile = join(stateDir, POINTER_FILE);
  }

  dirOf(revision: number): string {
    return join(this.revisionsDir, String(revision));
  }

  /** The pointer, or undefined when the store has never applied a revision. */
  read(): StorePointer | undefined {
    let text: string;
    try {
      text = readFileSync(this.pointerFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RemoteConfigError('CONFIG_STORE_DAMAGED', `cannot read ${this.pointerFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new RemoteConfigError('CONFIG_STORE_DAMAGED', `${this.pointerFile} is not JSON`);
    }
    const parsed = pointerSchema.safeParse(raw);
    if (!parsed.success) throw new RemoteConfigError('CONFIG_STORE_DAMAGED', `${this.pointerFile}: ${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /**
   * The station file to run: the pointer's current revision when there is one and its folder holds
   * a station file, else the on-site file (`--config`). A damaged store falls back to the on-site
   * file and says so, rather than keep a station from starting.
   */
  resolve(onSiteFile: string): ResolvedStation {
    let pointer: StorePointer | undefined;
    try {
      pointer = this.read();
    } catch (err) {
      if (err instanceof RemoteConfigError) return { source: 'on-site', file: onSiteFile, revision: undefined, damaged: err };
      throw err;
    }
    if (!pointer) return { source: 'on-site', file: onSiteFile, revision: undefined };
    const dir = this.dirOf(pointer.current.revision);
    const file = join(dir, DOCUMENT_STATION_FILE);
    if (!existsSync(file)) {
      const damaged = new RemoteConfigError('CONFIG_STORE_DAMAGED', `${POINTER_FILE} names revision ${pointer.current.revision}, but ${file} is gone`);
      return { source: 'on-site', file: onSiteFile, revision: undefined, damaged };
    }
    return { source: 'revision', file, dir, revision: pointer.current.revision, state: pointer.state, pointer };
  }

  /**
   * Removes what a killed apply left: stage folders, and revision folders the pointer does not
   * name. Call it once at start, before anything is staged.
   */
  cleanUp(): void {
    if (!existsSync(this.stateDir)) return;
    for (const name of readdirSync(this.stateDir)) {
      if (name.startsWith(`${POINTER_FILE}.`) && name.endsWith('.tmp')) rmSync(join(this.stateDir, name), { force: true });
    }
    if (!existsSync(this.revisionsDir)) return;
    const pointer = this.readOrUndefined();
    const keep = new Set([pointer?.current.revision, pointer?.lastGood?.revision].filter((r) => r !== undefined).map(String));
    let removed = false;
    for (const name of readdirSync(this.revisionsDir)) {
      if (keep.has(name)) continue;
      rmSync(join(this.revisionsDir, name), { recursive: true, force: true });
      removed = true;
    }
    if (removed) syncFolder(this.revisionsDir);
  }

  /**
   * Writes a revision's files into its own folder, synced, under a temporary name first. The
   * paths are checked again here: the store never writes outside its folder, whoever calls it.
   */
  stage(revision: number, files: Readonly<Record<string, string>>, documentJws: string): StagedRevision {
    const bad = Object.keys(files).map(unsafeDocumentPath).find((p) => p !== undefined);
    if (bad) throw new RemoteConfigError('CONFIG_PATH_UNSAFE', bad);
    if (!Object.hasOwn(files, DOCUMENT_STATION_FILE)) throw new RemoteConfigError('CONFIG_DOCUMENT_MALFORMED', `a revision needs a "${DOCUMENT_STATION_FILE}"`);
    const pointer = this.readOrUndefined();
    if (pointer && (revision === pointer.current.revision || revision === pointer.lastGood?.revision)) {
      throw new RemoteConfigError('CONFIG_REVISION_NOT_NEWER', `revision ${revision} is already in the store`);
    }
    this.makeFolders();
    const final = this.dirOf(revision);
    // Left by an apply killed after its rename and before its pointer: never named, safe to replace.
    if (existsSync(final)) rmSync(final, { recursive: true, force: true });
    const stage = join(this.revisionsDir, `${STAGE_PREFIX}${revision}-${randomBytes(4).toString('hex')}`);
    mkdirSync(stage);
    const hashes: Record<string, string> = {};
    const folders = new Set<string>([stage]);
    for (const [path, text] of Object.entries(files)) {
      const target = join(stage, path);
      mkdirSync(dirname(target), { recursive: true });
      for (let d = dirname(target); d.startsWith(stage); d = dirname(d)) folders.add(d);
      writeSyncedFile(target, text);
      hashes[path] = hashText(text);
    }
    writeSyncedFile(join(stage, DOCUMENT_FILE), documentJws);
    for (const d of folders) syncFolder(d);
    renameSync(stage, final);
    syncFolder(this.revisionsDir);
    return { record: { revision, documentHash: hashText(documentJws), files: hashes }, dir: final, stationFile: join(final, DOCUMENT_STATION_FILE) };
  }

  /** Removes a staged revision that will not run (it failed validation). */
  discard(staged: StagedRevision): void {
    const pointer = this.readOrUndefined();
    if (pointer && (pointer.current.revision === staged.record.revision || pointer.lastGood?.revision === staged.record.revision)) return;
    rmSync(staged.dir, { recursive: true, force: true });
  }

  /**
   * Names a staged revision as the one to run, on trial until `commit` or `rollback`. The last
   * good revision is the current one if it was committed; a revision still on trial never is.
   */
  beginTrial(staged: StagedRevision, trial: { deadline: string; expectOnline: readonly string[]; onSite: StorePointer['onSite'] }): StorePointer {
    const before = this.readOrUndefined();
    const lastGood = before ? (before.state === 'committed' ? before.current : before.lastGood) : null;
    const pointer: StorePointer = {
      version: 1,
      current: staged.record,
      lastGood,
      state: 'trial',
      trial: { deadline: trial.deadline, boots: 0, expectOnline: [...trial.expectOnline] },
      onSite: before?.onSite ?? trial.onSite,
    };
    this.write(pointer);
    this.prune(pointer);
    return pointer;
  }

  /** One more start of the gateway in the revision on trial; returns how many there have been. */
  noteTrialBoot(): number {
    const pointer = this.read();
    if (!pointer?.trial) return 0;
    const next = { ...pointer, trial: { ...pointer.trial, boots: pointer.trial.boots + 1 } };
    this.write(next);
    return next.trial.boots;
  }

  /** The revision on trial passed its gate: it is the last good one from now on. */
  commit(): StorePointer {
    const pointer = this.read();
    if (!pointer) throw new RemoteConfigError('CONFIG_STORE_DAMAGED', 'nothing to commit: the store names no revision');
    const next: StorePointer = { ...pointer, state: 'committed', trial: null, lastGood: pointer.current };
    this.write(next);
    this.prune(next);
    return next;
  }

  /**
   * Back to the last good revision, or to the on-site file when there is none (the pointer is
   * removed). Returns the pointer now in force, or undefined for the on-site file.
   */
  rollback(): StorePointer | undefined {
    const pointer = this.read();
    if (!pointer) return undefined;
    if (!pointer.lastGood) {
      unlinkSync(this.pointerFile);
      syncFolder(this.stateDir);
      this.prune(undefined);
      return undefined;
    }
    const next: StorePointer = { ...pointer, current: pointer.lastGood, state: 'committed', trial: null };
    this.write(next);
    this.prune(next);
    return next;
  }

  /** The store's folders, their entries synced when new: a rename into a folder that a power cut undoes is lost too. */
  private makeFolders(): void {
    if (existsSync(this.revisionsDir)) return;
    const first = mkdirSync(this.revisionsDir, { recursive: true });
    for (let d = this.revisionsDir; first !== undefined && d.length >= first.length; d = dirname(d)) syncFolder(dirname(d));
  }

  private write(pointer: StorePointer): void {
    this.makeFolders();
    replaceFileAtomically(this.pointerFile, `${JSON.stringify(pointer, null, 2)}\n`);
  }

  private readOrUndefined(): StorePointer | undefined {
    try {
      return this.read();
    } catch (err) {
      if (err instanceof RemoteConfigError) return undefined;
      throw err;
    }
  }

  /** Keeps the folders the pointer names; only after the pointer is on the disk. */
  private prune(pointer: StorePointer | undefined): void {
    if (!existsSync(this.revisionsDir)) return;
    const keep = new Set([pointer?.current.revision, pointer?.lastGood?.revision].filter((r) => r !== undefined).map(String));
    for (const name of readdirSync(this.revisionsDir)) {
      if (name.startsWith(STAGE_PREFIX) || keep.has(name)) continue;
      rmSync(join(this.revisionsDir, name), { recursive: true, force: true });
    }
  }
}
