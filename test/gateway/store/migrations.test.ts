import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADDITIONS, MIGRATIONS, SchemaTooNewError } from '../../../gateway/store/migrations.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { tempDir } from '../../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

describe('store migrations on an on-disk database', () => {
  it('creates a new database at the newest version, with WAL and full sync', () => {
    const path = join(dir.path, 'sub', 'gateway.db');
    const { db, migratedFrom, version } = openDatabase(path);
    expect(migratedFrom).toBe(0);
    expect(version).toBe(MIGRATIONS.at(-1)?.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['alarms', 'events', 'meta', 'replay_cache', 'sessions']));
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2); // INCREMENTAL
    db.close();
  });

  it('upgrades a database written by an older gateway and keeps its rows', () => {
    const path = join(dir.path, 'gateway.db');
    // A version-1 file, as the first release left it.
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, 1) });
    expect(old.version).toBe(1);
    old.db.prepare("INSERT INTO events (id, ts, type, data) VALUES ('01J0000000000000000000000A', '2026-01-01T00:00:00.000Z', 'door.opened', '{}')").run();
    old.db.close();

    const { db, migratedFrom, version } = openDatabase(path);
    expect(migratedFrom).toBe(1);
    expect(version).toBe(MIGRATIONS.at(-1)?.version);
    expect(db.prepare('SELECT type FROM events').pluck().all()).toEqual(['door.opened']);
    db.prepare("INSERT INTO meta (key, value) VALUES ('k', 'v')").run();
    db.close();

    // Opening again runs nothing.
    const again = openDatabase(path);
    expect(again.migratedFrom).toBe(MIGRATIONS.at(-1)?.version);
    expect(again.db.prepare("SELECT value FROM meta WHERE key = 'k'").pluck().get()).toBe('v');
    again.db.close();
  });

  it('rolls a failed migration back whole and leaves the version where it was', () => {
    const path = join(dir.path, 'gateway.db');
    openDatabase(path, { migrations: MIGRATIONS.slice(0, 1) }).db.close();
    const broken = [...MIGRATIONS.slice(0, 1), { version: 2, name: 'broken', sql: 'CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);' }];
    expect(() => openDatabase(path, { migrations: broken })).toThrow(/no such table: nowhere/);
    const db = new BetterSqlite3(path);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    db.close();
  });

  it('applies schema additions once, without moving the version a previous release checks', () => {
    const path = join(dir.path, 'gateway.db');
    openDatabase(path).db.close();
    const again = openDatabase(path);
    expect(again.version).toBe(3);
    expect(again.db.pragma('user_version', { simple: true })).toBe(3);
    expect(again.db.prepare("SELECT value FROM meta WHERE key = 'schemaAdditions'").pluck().get()).toBe(String(ADDITIONS.at(-1)?.id));
    expect(again.db.prepare("SELECT name FROM pragma_table_info('alarms') WHERE name LIKE 'ack_%' ORDER BY name").pluck().all()).toEqual(['ack_at', 'ack_by', 'ack_note']);
    again.db.close();
  });

  it('opens a file a newer gateway added to (the rollback case): additions it does not know are left alone', () => {
    const path = join(dir.path, 'gateway.db');
    const newer = openDatabase(path).db;
    newer.exec("CREATE TABLE later_feature (x TEXT); UPDATE meta SET value = '99' WHERE key = 'schemaAdditions'");
    newer.close();
    const older = openDatabase(path);
    expect(older.db.prepare("SELECT value FROM meta WHERE key = 'schemaAdditions'").pluck().get()).toBe('99');
    older.db.close();
  });

  it('refuses a database from a newer gateway instead of guessing at its schema', () => {
    const path = join(dir.path, 'gateway.db');
    const db = new BetterSqlite3(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openDatabase(path)).toThrow(SchemaTooNewError);
  });
});
