import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
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
 * token is accepted. Each write of the anchor is a sync (8 kB of write_bytes in place, see
 * SLOT_BYTES; 12.3 to 24 kB when it was a new file renamed over): once a minute that was about
 * 18 MB a day, more than three times issue 22's whole idle budget. The
 * price: after a lost database on a clock that restarted behind, a token issued up to fifteen minutes
 * before the loss, rather than one, can be used once more.
 */
export const ANCHOR_FLOOR_STEP_MS = FLOOR_RESOLUTION_MS;

/**
 * The anchor file holds two slots, each in a 4 KB page of its own (offsets 0 and SLOT_BYTES), and
 * each write overwrites the older slot in place and syncs its data: one page of the file and its
 * sync, measured 8 kB of write_bytes, where a new file synced and renamed over cost 16 to 24 kB
 * (a new inode and a directory entry each time). A cut during a write tears only the slot being
 * written, which its checksum then refuses, and the other slot holds the step before. A file of
 * one JSON record (what a rename wrote, this gateway's before, or a record too big for a slot)
 * is read as it always was.
 */
const SLOT_BYTES = 4096;

interface SlotEntry {
  seq: number;
  sum: string;
  record: AnchorRecord;
}

const checksum = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The record a region of the file holds, if whole: a slot whose checksum matches, or a plain record (seq 0). */
function parseRegion(region: string): { seq: number; record: AnchorRecord } | undefined {
  const line = region.slice(0, Math.max(0, region.indexOf('\n')));
  let v: Partial<SlotEntry> & Partial<AnchorRecord>;
  try {
    v = JSON.parse(line) as Partial<SlotEntry> & Partial<AnchorRecord>;
  } catch {
    return undefined;
  }
  if (typeof v.life === 'string') return { seq: 0, record: v as AnchorRecord };
  if (typeof v.seq !== 'number' || typeof v.record?.life !== 'string') return undefined;
  return v.sum === checksum(JSON.stringify(v.record)) ? { seq: v.seq, record: v.record } : undefined;
}

export class StoreAnchor {
  /** What this process last wrote; the file is ours alone while the gateway runs. */
  private written: string | undefined;
  private writtenRecord: AnchorRecord | undefined;
  /** The newest slot's sequence number, once read: the next write goes to the other slot. */
  private seq: number | undefined;
  /** Whether the file is in slots: otherwise (none yet, one plain record, garbage) a write replaces it whole. */
  private slotted = false;

  constructor(private readonly path: string) {}

  read(): AnchorRecord | undefined {
    this.slotted = false;
    this.seq = 0;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path);
    } catch {
      return undefined;
    }
    const plain = parseRegion(`${bytes.toString('utf8').trimEnd()}\n`);
    if (plain?.seq === 0) return plain.record;
    const slots = [0, 1].map((i) => parseRegion(bytes.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES).toString('utf8'))).filter((v) => v !== undefined);
    const newest = slots.sort((a, b) => b.seq - a.seq)[0];
    this.slotted = newest !== undefined;
    this.seq = newest?.seq ?? 0;
    return newest?.record;
  }

  /**
   * Written whole or not at all (a slot with its checksum, synced; see SLOT_BYTES); throws ENOSPC
   * on a full disk. A record the same as the last one written is not written again, nor one that
   * differs only by a floor less than ANCHOR_FLOOR_STEP_MS ahead of the written one: an SD card
   * pays for each sync.
   */
  write(record: AnchorRecord): void {
    const text = `${JSON.stringify(record)}\n`;
    if (text === this.written || this.onlyFloorCrept(record)) return;
    if (this.seq === undefined) this.read();
    let seq = (this.seq ?? 0) + 1;
    // A file not yet in slots starts with slot 0, so it is no longer than its one record.
    if (!this.slotted && seq % 2 === 1) seq++;
    const entry = `${JSON.stringify({ seq, sum: checksum(JSON.stringify(record)), record } satisfies SlotEntry)}\n`;
    if (Buffer.byteLength(entry) <= SLOT_BYTES) this.writeSlot(entry, seq);
    else this.writeWhole(text);
    this.written = text;
    this.writtenRecord = record;
  }

  private writeSlot(entry: string, seq: number): void {
    if (!this.slotted) {
      // Nothing in slots yet to fall back on: the first slot goes in with a new file, renamed over.
      this.replace(Buffer.from(entry));
    } else {
      const fd = openSync(this.path, 'r+');
      try {
        writeSync(fd, entry, (seq % 2) * SLOT_BYTES);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    this.seq = seq;
    this.slotted = true;
  }

  /** A record too big for a slot: one JSON file (read as seq 0), and the next slot replaces it whole. */
  private writeWhole(text: string): void {
    this.replace(Buffer.from(text));
    this.seq = 0;
    this.slotted = false;
  }

  private replace(contents: Buffer): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, contents);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }

  private onlyFloorCrept(record: AnchorRecord): boolean {
    const last = this.writtenRecord;
    if (!last || last.floor === undefined || record.floor === undefined) return false;
    const moved = Date.parse(record.floor) - Date.parse(last.floor);
    if (!(moved >= 0 && moved < ANCHOR_FLOOR_STEP_MS)) return false;
    return JSON.stringify({ ...record, floor: last.floor }) === this.written?.trimEnd();
  }
}
