import { existsSync, readFileSync } from 'node:fs';
import { revocationPayloadSchema, type RevocationPayload } from '../../cloud-bridge/revocation-contract.js';
import { replaceFileAtomically } from '../../config/durable-write.js';
import { UsageError } from '../../config/usage-error.js';

/** The longest a pass may live by default: the format's 7 days (docs/passes.md, check 6). */
export const DEFAULT_MAX_PASS_HOURS = 168;

const PASS_ID = /^[A-Za-z0-9_-]{11,43}$/;

export interface Revocations {
  /** Pass ids (cti in base64url, as the station's events name them). */
  passes?: readonly string[] | undefined;
  /** Workers' `sub`: every pass issued to them until now. */
  workers?: readonly string[] | undefined;
  now: Date;
  /** The longest a pass lives: an entry can go this long after now, when every pass it covers has expired. */
  maxPassHours: number;
}

/** The operators' copy of the list (the payload, as JSON), or undefined when the file does not exist yet. */
export function readRevocationListFile(file: string): RevocationPayload | undefined {
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the revocation list ${file}: ${(err as Error).message}`);
  }
  const parsed = revocationPayloadSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${file} is not a revocation list: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Written whole and durably: a crash leaves the old list or the new, never a part, and never a seq gone back. */
export function writeRevocationListFile(file: string, list: RevocationPayload): void {
  replaceFileAtomically(file, `${JSON.stringify(list, null, 2)}\n`);
}

/**
 * The next list: the current one's entries still in force, the new ones added, `seq` one more and
 * signed now. A pass revoked by id is covered until now plus the longest pass lifetime (its exp
 * cannot be later, its iat being before now); a worker likewise. Revoking again only extends.
 */
export function nextRevocationList(current: RevocationPayload | undefined, add: Revocations): RevocationPayload {
  const nowMs = add.now.getTime();
  const until = new Date(nowMs + add.maxPassHours * 3_600_000).toISOString();
  const passes = new Map<string, string>();
  for (const p of current?.passes ?? []) if (Date.parse(p.until) > nowMs) passes.set(p.id, p.until);
  for (const id of add.passes ?? []) {
    if (!PASS_ID.test(id)) throw new UsageError(`--pass ${JSON.stringify(id)} is not a pass id (the cti in base64url, 11 to 43 characters)`);
    const had = passes.get(id);
    passes.set(id, had !== undefined && had > until ? had : until);
  }
  const workers = new Map<string, { before: string; until: string }>();
  for (const w of current?.workers ?? []) if (Date.parse(w.until) > nowMs) workers.set(w.sub, { before: w.before, until: w.until });
  for (const sub of add.workers ?? []) {
    if (sub.length === 0 || sub.length > 128) throw new UsageError(`--worker ${JSON.stringify(sub)} is not a worker id (1 to 128 characters)`);
    workers.set(sub, { before: add.now.toISOString(), until });
  }
  return {
    seq: (current?.seq ?? 0) + 1,
    issuedAt: add.now.toISOString(),
    passes: [...passes].map(([id, u]) => ({ id, until: u })),
    workers: [...workers].map(([sub, w]) => ({ sub, ...w })),
  };
}
