import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

/*
 * The append-only JSON-lines file a fleet job keeps its progress in (a configuration push, a
 * rollout): a header line, then a line per outcome. Lines reach the disk within a quarter second,
 * one sync per batch rather than per station (a job over thousands would wait on the disk). A line
 * lost or torn by a machine that stopped is no harm: the job looks at that station again, and its
 * retained report says where it stands.
 */

const SYNC_EVERY_MS = 250;

export class ProgressLog {
  private fd: number | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(readonly file: string) {}

  /** A new file with its header line, on the disk before this returns; refuses to write over one. */
  static create(file: string, header: unknown): ProgressLog {
    appendFileSync(file, `${JSON.stringify(header)}\n`, { flag: 'wx' });
    const log = new ProgressLog(file);
    log.sync();
    return log;
  }

  /**
   * An existing file's lines, each parsed (undefined for one that does not parse: torn by a stop),
   * and the log to go on appending to. A torn last line is ended first, or it would glue itself to
   * the next one written.
   */
  static resume(file: string): { lines: unknown[]; log: ProgressLog } {
    const text = readFileSync(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(file, '\n');
    const lines = text.split('\n').filter((l) => l !== '').map(parse);
    return { lines, log: new ProgressLog(file) };
  }

  static exists(file: string): boolean {
    return existsSync(file);
  }

  append(line: unknown): void {
    this.fd ??= openSync(this.file, 'a');
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off);
    this.syncTimer ??= setTimeout(() => this.sync(), SYNC_EVERY_MS);
  }

  /** What was appended, on the disk now. */
  sync(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    const fd = this.fd ?? openSync(this.file, 'r');
    try {
      fsyncSync(fd);
    } finally {
      if (this.fd === undefined) closeSync(fd);
    }
  }

  /** Every line on the disk; the file stays usable. */
  close(): void {
    this.sync();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
