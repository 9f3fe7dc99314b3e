import type { Logger } from 'pino';
import { DeviceError, toDeviceError, type DeviceErrorCode } from '../device-error.js';
import { MAX_SEQ, decodeFrame, encodeFrame } from './line-frame.js';
import type { DroppedLine } from './bounded-line-splitter.js';
import type { LinePort } from './serial-line-port.js';
import { Listeners } from '../listeners.js';

export interface LineReply {
  verb: string;
  args: string[];
}

/** An unsolicited frame (seq 0). */
export type LineEvent = LineReply;

export interface LineClientCounters {
  requests: number;
  replies: number;
  timeouts: number;
  /** `ERR <code>` replies. */
  refused: number;
  /** Replies whose seq matched nothing in flight (most often a late reply after a timeout). */
  unmatched: number;
  events: number;
  /** Frames dropped for a bad checksum. */
  checksum: number;
  /** Frames dropped as malformed (no `*`, bad seq or verb, over 256 bytes). */
  protocol: number;
}

export interface LineRequestClientOptions {
  port: LinePort;
  log: Logger;
}

/**
 * Failures after which the request's outcome is unknown: no reply came in time, or what came was
 * damaged. The controller may have acted; idempotent requests may be retried, UNLOCK may not.
 */
const REPLY_LOST: ReadonlySet<DeviceErrorCode> = new Set(['TIMEOUT', 'CHECKSUM', 'PROTOCOL']);

export function isReplyLost(err: unknown): err is DeviceError {
  return err instanceof DeviceError && REPLY_LOST.has(err.code);
}

interface InFlight {
  verb: string;
  resolve: (reply: LineReply) => void;
  reject: (err: DeviceError) => void;
}

/**
 * Request/reply over a line port, matched by seq. RS-485 is half duplex and the controllers answer
 * one thing at a time, so requests run one after another in FIFO order; the timeout of each starts
 * when it is written, so a queued request never times out for its predecessor's slowness.
 */
export class LineRequestClient {
  private readonly port: LinePort;
  private readonly log: Logger;
  private readonly inFlight = new Map<number, InFlight>();
  // A faulty listener must not stop the reader or the other listeners.
  private readonly eventListeners = new Listeners<LineEvent>((err) => this.log.error({ err }, 'line event listener threw'));
  private readonly stats: LineClientCounters = {
    requests: 0, replies: 0, timeouts: 0, refused: 0, unmatched: 0, events: 0, checksum: 0, protocol: 0,
  };
  private lastSeq = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly onLine = (line: string): void => this.handleLine(line);
  private readonly onDropped = (info: DroppedLine): void => {
    this.stats.protocol++;
    this.log.debug({ reason: info.reason, bytes: info.bytes }, 'line frame dropped by the splitter');
  };
  private readonly onClose = (cause: Error | undefined): void => {
    this.failInFlight(new DeviceError('DISCONNECTED', cause ? `port closed: ${cause.message}` : 'port closed', undefined, { cause }));
  };

  /** Subscribes to the port's events; no I/O. Call dispose() to unsubscribe. */
  constructor(options: LineRequestClientOptions) {
    this.port = options.port;
    this.log = options.log;
    this.port.on('line', this.onLine);
    this.port.on('dropped', this.onDropped);
    this.port.on('close', this.onClose);
  }

  counters(): LineClientCounters {
    return { ...this.stats };
  }

  onEvent(listener: (event: LineEvent) => void): () => void {
    return this.eventListeners.add(listener);
  }

  /**
   * Sends `<seq> VERB args` and resolves with the reply's verb and args. Rejects with DeviceError
   * TIMEOUT (no reply in timeoutMs), CHECKSUM or PROTOCOL (no reply in timeoutMs, but a frame with
   * a bad checksum, or a malformed one, came instead: most likely the reply, damaged), REFUSED
   * (`ERR <code>`, code in detail) or DISCONNECTED.
   */
  request(verb: string, args: readonly (string | number)[], timeoutMs: number): Promise<LineReply> {
    const run = (): Promise<LineReply> => this.send(verb, args, timeoutMs);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    this.port.off('line', this.onLine);
    this.port.off('dropped', this.onDropped);
    this.port.off('close', this.onClose);
    this.failInFlight(new DeviceError('DISCONNECTED', 'line client disposed'));
    this.eventListeners.clear();
  }

  private async send(verb: string, args: readonly (string | number)[], timeoutMs: number): Promise<LineReply> {
    const seq = this.nextSeq();
    const frame = encodeFrame(seq, verb, args);
    this.stats.requests++;
    const damagedBefore = { checksum: this.stats.checksum, protocol: this.stats.protocol };
    const reply = new Promise<LineReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.inFlight.delete(seq);
        this.stats.timeouts++;
        // Health counts what went wrong on the wire: a damaged reply is not a silent controller.
        const code = this.stats.checksum > damagedBefore.checksum ? 'CHECKSUM' : this.stats.protocol > damagedBefore.protocol ? 'PROTOCOL' : 'TIMEOUT';
        const why = code === 'CHECKSUM' ? ', a frame with a bad checksum came instead' : code === 'PROTOCOL' ? ', a malformed frame came instead' : '';
        reject(new DeviceError(code, `no reply to ${verb} within ${timeoutMs} ms${why}`, { verb, seq, timeoutMs }));
      }, timeoutMs);
      this.inFlight.set(seq, {
        verb,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
    // The write can outlast the timeout (a congested socket, a slow adapter): the timer then
    // rejects `reply` before anyone awaits it, which Node reports as an unhandled rejection (and
    // the gateway exits on those). Marked handled here; the caller still gets the rejection.
    reply.catch(() => undefined);
    try {
      await this.port.write(frame);
    } catch (err) {
      this.inFlight.get(seq)?.reject(toDeviceError(err));
      this.inFlight.delete(seq);
    }
    return reply;
  }

  private nextSeq(): number {
    // Wraps 65535 -> 1 (0 belongs to events) and skips any seq still awaiting its reply.
    for (let i = 0; i < MAX_SEQ; i++) {
      this.lastSeq = (this.lastSeq % MAX_SEQ) + 1;
      if (!this.inFlight.has(this.lastSeq)) return this.lastSeq;
    }
    throw new DeviceError('PROTOCOL', 'no free sequence number');
  }

  private handleLine(line: string): void {
    let frame;
    try {
      frame = decodeFrame(line);
    } catch (err) {
      const e = toDeviceError(err, 'PROTOCOL');
      if (e.code === 'CHECKSUM') this.stats.checksum++;
      else this.stats.protocol++;
      // The line itself is device noise of unknown content: log its size, not its bytes.
      this.log.debug({ code: e.code, bytes: Buffer.byteLength(line) }, 'line frame dropped');
      return;
    }
    if (frame.seq === 0) {
      this.stats.events++;
      this.emitEvent({ verb: frame.verb, args: frame.args });
      return;
    }
    const pending = this.inFlight.get(frame.seq);
    if (!pending) {
      this.stats.unmatched++;
      this.log.debug({ seq: frame.seq, verb: frame.verb }, 'reply matches no request in flight');
      return;
    }
    this.inFlight.delete(frame.seq);
    if (frame.verb === 'ERR') {
      this.stats.refused++;
      const code = frame.args[0] ?? 'UNKNOWN';
      pending.reject(new DeviceError('REFUSED', `${pending.verb} refused: ${code}`, { verb: pending.verb, code }));
      return;
    }
    this.stats.replies++;
    pending.resolve({ verb: frame.verb, args: frame.args });
  }

  private emitEvent(event: LineEvent): void {
    this.eventListeners.emit(event);
  }

  private failInFlight(err: DeviceError): void {
    const pending = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const p of pending) p.reject(err);
  }
}
