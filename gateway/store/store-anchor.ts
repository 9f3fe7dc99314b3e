import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { FLOOR_RESOLUTION_MS } from './time-floor.js';

/**
 * What the station knows of its database's life, kept beside it (`<database>.anchor`) rather than
 * in it: a database that is lost (deleted, truncated to 0 bytes, its WAL gone, replaced, moved
 * aside as damaged) does not take this with it. It names the database's life (an id written into
 * that database too), so a fresh file where an earlier life is on record is recognised as a lost
 * store, not a first boot; and it keeps the time floor and the reset time, which replay
 * protection must not lose with the replay cache.
 */
export interface AnchorRecord {
  /** The id of the database's life, also in its `meta` as `storeLife`. */
  life: string;
  /** The newest time floor written, ISO. */
  floor?: string | undefined;
  /** When the store was last reset (a lost or damaged file replaced by a fresh one), ISO. */
  resetAt?: string | undefined;
  bootCount?: number | undefined;
  /**
   * The operator settings (`setting:` keys of `meta`, such as a cabinet's slots out of service),
   * mirrored so that a lost database does not send a worker to a slot an operator took out.
   */
  settings?: Record<string, unknown>;
}

export const anchorPath = (databasePath: string): string => `${databasePath}.anchor`;

/**
 * How far the anchor's floor may trail the floor it is given. The anchor's floor is read only
 * when the database is lost: with the clock restarted behind, it is the reset time before which no
 * token is accepted. Each write of the anchor is a file synced and renamed (its page and a journal
 * commit of the file system), 12.3 kB of write_bytes a rewrite measured: once a minute that was
 * about 18 MB a day, more than three times issue 22's whole idle budget. The
 * price: after a lost database on a clock that restarted behind, a token issued up to fifteen minutes
 * before the loss, rather than one, can be used once more.
 */
export const ANCHOR_FLOOR_STEP_MS = FLOOR_RESOLUTION_MS;

export class StoreAnchor {
  /** What this process last wrote; the file is ours alone while the gateway runs. */
  private written: string | undefined;
  private writtenRecord: AnchorRecord | undefined;

  constructor(private readonly path: string) {}

  read(): AnchorRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v = JSON.parse(text) as Partial<AnchorRecord>;
      return typeof v.life === 'string' ? (v as AnchorRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Written whole or not at all (a temp file, synced, renamed over); throws ENOSPC on a full disk.
   * A record the same as the last one written is not written again, nor one that differs only by
   * a floor less than ANCHOR_FLOOR_STEP_MS ahead of the written one: an SD card pays for each sync.
   */
  write(record: AnchorRecord): void {
    const text = `${JSON.stringify(record)}\n`;
    if (text === this.written || this.onlyFloorCrept(record)) return;
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.written = text;
    this.writtenRecord = record;
  }

  private onlyFloorCrept(record: AnchorRecord): boolean {
    const last = this.writtenRecord;
    if (!last || last.floor === undefined || record.floor === undefined) return false;
    const moved = Date.parse(record.floor) - Date.parse(last.floor);
    if (!(moved >= 0 && moved < ANCHOR_FLOOR_STEP_MS)) return false;
    return JSON.stringify({ ...record, floor: last.floor }) === this.written?.trimEnd();
  }
}
