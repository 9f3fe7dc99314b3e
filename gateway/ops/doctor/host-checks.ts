import { execFile } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { fail, pass, warn, type CheckResult } from './doctor-result.js';
import { TimeFloor } from '../../store/time-floor.js';

/** What `timedatectl show` says about NTP, or undefined where there is no timedatectl (a container). */
export function readNtpSynchronized(): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    execFile('timedatectl', ['show', '--property=NTPSynchronized', '--value'], { timeout: 5000 }, (err, stdout) => {
      if (err) resolve(undefined);
      else resolve(stdout.trim() === 'yes');
    });
  });
}

export interface ClockInputs {
  ntpSynchronized: boolean | undefined;
  /** The store's time floor: the newest trusted time this station has seen. */
  floor: { at: Date; source: string } | undefined;
  now: Date;
}

/**
 * A Pi has no real-time clock: after a power cut with no network its clock restarts from the
 * last saved time. Access tokens are checked against that clock, so a crew must know.
 */
export function checkClock({ ntpSynchronized, floor, now }: ClockInputs): CheckResult[] {
  const rows: CheckResult[] = [];
  if (ntpSynchronized === true) rows.push(pass('clock synchronised', `NTP synchronised; now ${now.toISOString()}`));
  else if (ntpSynchronized === false) rows.push(fail('clock synchronised', 'not synchronised (timedatectl): check the network and systemd-timesyncd'));
  else rows.push(warn('clock synchronised', 'cannot tell: timedatectl is not available here'));
  if (!floor) rows.push(pass('clock vs time floor', 'no time floor recorded yet'));
  else if (now.getTime() < floor.at.getTime()) {
    const behind = Math.round((floor.at.getTime() - now.getTime()) / 1000);
    rows.push(fail('clock vs time floor', `the clock is ${behind} s behind the newest trusted time seen (${floor.at.toISOString()}, from ${floor.source})`));
  } else rows.push(pass('clock vs time floor', `ahead of the floor ${floor.at.toISOString()} (${floor.source})`));
  return rows;
}

const MIN_FREE_BYTES = 64 * 1024 * 1024;

/** Free space where the database lives: below 64 MB fails, below the database budget warns. */
export function checkDisk(databasePath: string, budgetMegabytes: number, statfs: (dir: string) => { bavail: number; bsize: number; blocks: number } = statfsSync): CheckResult {
  let dir = dirname(databasePath);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const s = statfs(dir);
  const free = s.bavail * s.bsize;
  const mb = (n: number): string => `${Math.round(n / 1024 / 1024)} MB`;
  const detail = `${mb(free)} free of ${mb(s.blocks * s.bsize)} at ${dir}`;
  if (free < MIN_FREE_BYTES) return fail('disk space', `${detail}: below ${mb(MIN_FREE_BYTES)}`);
  if (free < budgetMegabytes * 1024 * 1024) return warn('disk space', `${detail}: less than storage.maxMegabytes (${budgetMegabytes} MB)`);
  return pass('disk space', detail);
}

/** The database, read-only (the gateway may be writing): integrity and the time floor it keeps. */
export function inspectDatabase(path: string): { row: CheckResult; floor: ClockInputs['floor'] } {
  if (!existsSync(path)) return { row: pass('database', `${path} not created yet (the first start creates it)`), floor: undefined };
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true }) as string;
    const version = db.pragma('user_version', { simple: true }) as number;
    let floor: ClockInputs['floor'];
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    // Read through the store's own TimeFloor: doctor sees the floor exactly as the gateway keeps it.
    if (hasMeta) floor = new TimeFloor(db).get();
    const row = check === 'ok' ? pass('database', `quick_check ok, schema ${version}, ${path}`) : fail('database', `quick_check: ${check.split('\n')[0] ?? check}`);
    return { row, floor };
  } catch (err) {
    return { row: fail('database', `${path}: ${(err as Error).message}`), floor: undefined };
  } finally {
    db?.close();
  }
}
