import type { Logger } from 'pino';
import { DeviceError } from '../device-error.js';
import { Backoff } from '../health/backoff.js';
import { keepAliveClock, type Clock } from '../../config/clock.js';
import type { LinePort } from './serial-line-port.js';

export interface LinePortKeeperOptions {
  port: LinePort;
  log: Logger;
  reopenMinMs?: number;
  reopenMaxMs?: number;
  /** Timeouts in a row after which the port is taken for dead and reopened. */
  silentAfter?: number;
  /** Reopen backoff time; the system clock unless a test drives it. */
  clock?: Clock | undefined;
}

/**
 * Keeps a line port open for a driver whose requests double as its heartbeat. On Linux an
 * unplugged USB adapter gives no close event until a write fails, and a replugged one may leave
 * the open file descriptor deaf for good (PITFALLS): so a port that stays silent for
 * `silentAfter` requests in a row is closed, and every reopen is spaced by backoff.
 */
export class LinePortKeeper {
  private readonly backoff: Backoff;
  private timeoutsInRow = 0;
  private reopened = 0;

  constructor(private readonly options: LinePortKeeperOptions) {
    const clock = options.clock ?? keepAliveClock;
    this.backoff = new Backoff(options.reopenMinMs ?? 500, options.reopenMaxMs ?? 30_000, () => clock.now());
  }

  /** How many times the port was closed for silence (health and tests read it). */
  get silentReopens(): number {
    return this.reopened;
  }

  async ensureOpen(): Promise<void> {
    const { port, log } = this.options;
    if (port.isOpen) return;
    const wait = this.backoff.waitMs();
    if (wait > 0) throw new DeviceError('DISCONNECTED', `port closed; next open attempt in ${wait} ms`, { skipped: true, backoffMs: wait });
    try {
      await port.open();
    } catch (err) {
      const delay = this.backoff.failed();
      if (this.backoff.failures === 1) log.warn({ err: String(err), retryMs: delay }, 'port cannot be opened; retrying with backoff');
      throw err;
    }
    if (this.backoff.failures > 0) log.info('port open again');
    this.backoff.succeeded();
  }

  /** Call with the outcome of every request: an answer of any kind proves the port alive. */
  async noteResult(err: unknown): Promise<void> {
    if (!(err instanceof DeviceError && err.code === 'TIMEOUT')) {
      this.timeoutsInRow = 0;
      return;
    }
    this.timeoutsInRow++;
    if (this.timeoutsInRow < (this.options.silentAfter ?? 3) || !this.options.port.isOpen) return;
    this.timeoutsInRow = 0;
    this.reopened++;
    this.options.log.warn('port silent; closing it to reopen');
    await this.options.port.close();
  }
}
