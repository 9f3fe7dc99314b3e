import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

export type DropReason = 'too-long' | 'unterminated';

export interface DroppedLine {
  reason: DropReason;
  /** How many bytes of the line were thrown away (terminator not counted). */
  bytes: number;
}

export interface BoundedLineSplitterOptions {
  /** Longest line kept, in bytes, terminator excluded. */
  maxLength: number;
  encoding?: BufferEncoding;
  /**
   * A line that gets no byte for this long is dropped as unterminated. For devices that send a
   * line in one burst (a scanner): otherwise half a line cut short would be glued to the next one
   * and read as a line neither of them was. Off when omitted.
   */
  maxIdleMs?: number | undefined;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Splits a byte stream into text lines on `\r`, `\n` or `\r\n`, emitting strings (object mode).
 *
 * Unlike @serialport/parser-readline, its buffer is bounded (PITFALLS: a device that never sends a
 * newline would grow it forever): a line longer than maxLength is discarded up to its next
 * terminator, counted, and reported with a 'dropped' event. Empty lines are not lines (a `\r\n`
 * split across two chunks, or idle line noise), so they are skipped without counting.
 */
export class BoundedLineSplitter extends Transform {
  readonly maxLength: number;
  private readonly encoding: BufferEncoding;
  private readonly buffer: Buffer;
  private length = 0;
  private discarding = false;
  private discardedBytes = 0;
  // A `\r` ended the last line: a `\n` right after it (maybe in the next chunk) is the same terminator.
  private afterCR = false;
  private droppedCount = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly options: BoundedLineSplitterOptions) {
    super({ readableObjectMode: true });
    if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
      throw new RangeError(`maxLength must be a positive integer, got ${options.maxLength}`);
    }
    this.maxLength = options.maxLength;
    this.encoding = options.encoding ?? 'utf8';
    this.buffer = Buffer.alloc(options.maxLength);
  }

  /** Lines thrown away so far (too long, or cut off by the end of the stream). */
  get dropped(): number {
    return this.droppedCount;
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === LF && this.afterCR) {
        this.afterCR = false;
        start = i + 1;
        continue;
      }
      this.afterCR = false;
      if (b === CR || b === LF) {
        this.append(bytes, start, i);
        this.endLine();
        this.afterCR = b === CR;
        start = i + 1;
      }
    }
    this.append(bytes, start, bytes.length);
    this.watchIdle();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idle);
    callback(error);
  }

  override _flush(callback: TransformCallback): void {
    // A line the stream ended in the middle of is a partial line, never a scan or a frame.
    clearTimeout(this.idle);
    this.dropPartial();
    callback();
  }

  /** Runs per chunk: an armed timer is restarted in place rather than replaced. */
  private watchIdle(): void {
    const ms = this.options.maxIdleMs;
    if (ms === undefined) return;
    if (this.length === 0 && !this.discarding) {
      clearTimeout(this.idle);
      this.idle = undefined;
      return;
    }
    if (this.idle) {
      this.idle.refresh();
      return;
    }
    this.idle = setTimeout(() => {
      this.idle = undefined;
      this.dropPartial();
    }, ms);
    // A pending partial line is no reason to keep the process alive.
    this.idle.unref();
  }

  private dropPartial(): void {
    if (this.discarding) this.countDropped('too-long', this.discardedBytes);
    else if (this.length > 0) this.countDropped('unterminated', this.length);
    this.reset();
  }

  private append(bytes: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    if (this.discarding) {
      this.discardedBytes += n;
      return;
    }
    if (this.length + n > this.maxLength) {
      this.discarding = true;
      this.discardedBytes = this.length + n;
      this.length = 0;
      return;
    }
    // Copy: keeping a slice would pin the whole incoming chunk in memory.
    bytes.copy(this.buffer, this.length, start, end);
    this.length += n;
  }

  private endLine(): void {
    if (this.discarding) {
      this.countDropped('too-long', this.discardedBytes);
    } else if (this.length > 0) {
      this.push(this.buffer.toString(this.encoding, 0, this.length));
    }
    this.reset();
  }

  private reset(): void {
    this.length = 0;
    this.discarding = false;
    this.discardedBytes = 0;
  }

  private countDropped(reason: DropReason, bytes: number): void {
    this.droppedCount++;
    const info: DroppedLine = { reason, bytes };
    this.emit('dropped', info);
  }
}
