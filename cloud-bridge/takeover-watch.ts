import type { AlarmName } from './alarm-catalogue.js';

/** Raised while another connection seems to use this station's identity (docs/errors.md). */
export const IDENTITY_CONFLICT_ALARM = 'cloud.identity-conflict' satisfies AlarmName;

/** MQTT 5 DISCONNECT reason: another connection with our client id took the session. */
export const SESSION_TAKEN_OVER = 0x8e;

export interface TakeoverWatchOptions {
  /** A connection the broker ends sooner than this after CONNACK counts as taken over. */
  shortLivedMs: number;
  /** This many such connections in a row raise the alarm (MQTT 3.1.1 has no reason code). */
  threshold: number;
  /** A connection up this long is stable: the conflict (if any) is over. */
  clearAfterMs: number;
  onConflict(detail: { evidence: 'session-taken-over' | 'short-lived-connections'; connections: number }): void;
  /** Every time a connection becomes stable; `wasConflict` if a conflict was believed until then. */
  onStable(wasConflict: boolean): void;
  monotonic?: () => number;
}

/**
 * Tells a station whose identity is connected twice (two boxes, or two processes, with one
 * client id) from one on a poor link: the broker closes each connection as the other connects,
 * so ours end within moments of their CONNACK, again and again; MQTT 5 says so outright
 * (DISCONNECT 0x8E). A flaky link rarely manages a handshake and a CONNACK and then dies within
 * seconds several times in a row.
 */
export class TakeoverWatch {
  private readonly monotonic: () => number;
  private connectedAt: number | undefined;
  private inRow = 0;
  private active = false;
  private clearTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TakeoverWatchOptions) {
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  /** Whether the conflict is believed now. */
  get conflict(): boolean {
    return this.active;
  }

  connected(): void {
    this.connectedAt = this.monotonic();
    clearTimeout(this.clearTimer);
    this.clearTimer = setTimeout(() => {
      const was = this.active;
      this.active = false;
      this.inRow = 0;
      this.options.onStable(was);
    }, this.options.clearAfterMs);
    this.clearTimer.unref();
  }

  /** The connection ended (any cause but our own stop). */
  closed(): void {
    clearTimeout(this.clearTimer);
    if (this.connectedAt === undefined) return;
    const lived = this.monotonic() - this.connectedAt;
    this.connectedAt = undefined;
    this.inRow = lived < this.options.shortLivedMs ? this.inRow + 1 : 0;
    if (this.inRow >= this.options.threshold) this.raise('short-lived-connections');
  }

  /** MQTT 5 DISCONNECT with reason 0x8E. */
  takenOver(): void {
    this.inRow = Math.max(this.inRow + 1, this.options.threshold);
    this.raise('session-taken-over');
  }

  stop(): void {
    clearTimeout(this.clearTimer);
  }

  private raise(evidence: 'session-taken-over' | 'short-lived-connections'): void {
    if (this.active) return;
    this.active = true;
    this.options.onConflict({ evidence, connections: this.inRow });
  }
}
