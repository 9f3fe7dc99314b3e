import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema's history, append-only: a released migration is never edited, a new one is added.
 * The version lives in `PRAGMA user_version`, which SQLite keeps in the file header.
 * docs/storage.md describes the resulting schema.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events outbox and usage log',
    // seq, not id, orders delivery: ULIDs come from a clock that may step back after a power cut
    // on a box without an RTC, while insertion order is the order things happened here.
    sql: `
      CREATE TABLE events (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT    NOT NULL UNIQUE,
        ts           TEXT    NOT NULL,
        type         TEXT    NOT NULL,
        device       TEXT,
        data         TEXT    NOT NULL,
        delivered_at TEXT
      );
      CREATE INDEX events_undelivered ON events (seq) WHERE delivered_at IS NULL;
      CREATE INDEX events_ts ON events (ts);
    `,
  },
  {
    version: 2,
    name: 'gateway metadata',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'usage sessions, token replay cache, active alarms',
    sql: `
      -- A session is one use of the station derived from its events: a swap from swap.started to
      -- swap.completed/aborted, a door from opened to closed, a water draw, a stay inside.
      CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        device      TEXT,
        key         TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        ended_at    TEXT,
        outcome     TEXT,
        subject     TEXT,
        data        TEXT NOT NULL,
        start_event TEXT NOT NULL,
        end_event   TEXT
      );
      CREATE INDEX sessions_open ON sessions (kind, key) WHERE ended_at IS NULL;
      CREATE INDEX sessions_started ON sessions (started_at);

      -- A jti is refused twice until it could no longer verify anyway (exp + skew); result is
      -- the first outcome, returned again to a repeated command.
      CREATE TABLE replay_cache (
        jti          TEXT PRIMARY KEY,
        forget_after INTEGER NOT NULL,
        seen_at      TEXT NOT NULL,
        result       TEXT
      ) WITHOUT ROWID;
      CREATE INDEX replay_cache_forget ON replay_cache (forget_after);

      CREATE TABLE alarms (
        alarm    TEXT NOT NULL,
        device   TEXT NOT NULL DEFAULT '',
        severity TEXT NOT NULL,
        detail   TEXT,
        since    TEXT NOT NULL,
        PRIMARY KEY (alarm, device)
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * A change an older gateway can ignore (a nullable column, a table of its own), kept apart from
 * the versions so that it leaves `user_version` alone: a release that rolls back after an update
 * (docs/updates.md) must still open the file, and every release so far refuses a version newer
 * than it knows. Tracked in `meta` (`schemaAdditions`, the highest id applied); append-only like
 * the migrations. Only a change an older gateway would misread becomes a migration.
 */
export interface Addition {
  id: number;
  name: string;
  /** The schema version whose tables it extends (and whose `meta` records it). */
  needsVersion: number;
  sql: string;
}

export const ADDITIONS: readonly Addition[] = [
  {
    id: 1,
    name: 'alarm acknowledgements',
    needsVersion: 3,
    // Columns on the alarm row, not a table of their own: an acknowledgement lives and dies with
    // the active alarm it is about (a clear deletes the row, and the acknowledgement with it).
    // An older gateway's statements name their columns, so it neither reads nor breaks these.
    sql: `
      ALTER TABLE alarms ADD COLUMN ack_by   TEXT;
      ALTER TABLE alarms ADD COLUMN ack_at   TEXT;
      ALTER TABLE alarms ADD COLUMN ack_note TEXT;
    `,
  },
  {
    id: 2,
    name: 'usage sessions derived after the event, behind a cursor',
    needsVersion: 3,
    // Until now every event's sessions were derived in its own transaction: the whole log is
    // derived, and the sessions' last rowid is the one this gateway wrote (see
    // UsageSessions.adoptForeignSessions). A fresh file starts at 0, 0.
    sql: `
      INSERT OR IGNORE INTO meta (key, value)
        SELECT 'sessionsDerived', json_object('seq', (SELECT coalesce(max(seq), 0) FROM events), 'row', (SELECT coalesce(max(rowid), 0) FROM sessions));
    `,
  },
];

const ADDITIONS_KEY = 'schemaAdditions';

export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
  readonly code = 'STORE_SCHEMA_TOO_NEW';
}

/** Brings the database to the newest version; each step commits on its own, so a cut mid-way resumes. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.at(-1)?.version ?? 0;
  if (from > newest) {
    // Written by a newer gateway: guessing at its schema could corrupt the usage log.
    throw new SchemaTooNewError(`database schema version ${from} is newer than this gateway knows (${newest}); upgrade the gateway`);
  }
  for (const m of migrations) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, newest) };
}

/**
 * Applies the additions this file lacks, each with its record in one transaction (a cut resumes).
 * An id above the newest known is a newer gateway's addition: left as it is, which is the point.
 */
export function addToSchema(db: Database, additions: readonly Addition[] = ADDITIONS): { applied: number } {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < 2) return { applied: 0 };
  const read = db.prepare('SELECT value FROM meta WHERE key = ?');
  const write = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const done = (): number => Number((read.get(ADDITIONS_KEY) as { value: string } | undefined)?.value ?? 0);
  for (const a of additions) {
    if (a.id <= done() || version < a.needsVersion) continue;
    db.transaction(() => {
      db.exec(a.sql);
      write.run(ADDITIONS_KEY, String(a.id));
    })();
  }
  return { applied: done() };
}
