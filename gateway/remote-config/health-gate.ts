import type { Clock } from '../../config/clock.js';

export interface HealthGateOptions {
  clock: Clock;
  /** How long the revision has to prove itself. */
  gateSeconds: number;
  /**
   * The devices that must be online: those online before the apply that the revision still names,
   * and those it adds (a revision that adds a device that never answers does not work). One that
   * was silent before and stays silent is not the revision's doing and is not waited for.
   */
  expectOnline: readonly string[];
  /** One write to the store (the caller's: a row it writes and reads back); rejects when it fails. */
  probeStore: () => Promise<void>;
  /** Between two store probes while none has succeeded (default 1 s). */
  probeRetryMs?: number;
}

export type GateOutcome =
  | { passed: true; afterMs: number }
  | { passed: false; code: 'CONFIG_GATE_FAILED'; problems: string[]; afterMs: number };

export type GateState = 'idle' | 'waiting' | 'passed' | 'failed' | 'cancelled';

/**
 * The health gate a revision passes before it is the last good one: within `gateSeconds` the
 * station must be connected to the broker, every device of `expectOnline` online, and a store
 * write must have succeeded, all at once. It decides once: pass as soon as all hold; fail at the
 * deadline (with what was missing) or at once on `fail()`. Its inputs are events the caller feeds
 * from the running station, so it runs the same on fake time in a test.
 */
export class HealthGate {
  private state: GateState = 'idle';
  private connected = false;
  private readonly online = new Set<string>();
  private storeWritten = false;
  private storeError: string | undefined;
  private probing = false;
  private startedAt = 0;
  private cancelTimers: Array<() => void> = [];
  private readonly settledListeners: Array<() => void> = [];
  private settle: ((outcome: GateOutcome) => void) | undefined;

  constructor(private readonly options: HealthGateOptions) {}

  get current(): GateState {
    return this.state;
  }

  /** Starts the clock; resolves with the decision (never for a cancelled gate). */
  start(initial: { connected?: boolean; online?: Iterable<string> } = {}): Promise<GateOutcome> {
    if (this.state !== 'idle') throw new Error(`the health gate was started already (${this.state})`);
    this.state = 'waiting';
    this.startedAt = this.options.clock.now();
    this.connected = initial.connected ?? false;
    for (const id of initial.online ?? []) this.online.add(id);
    const decided = new Promise<GateOutcome>((resolve) => (this.settle = resolve));
    this.cancelTimers.push(this.options.clock.after(this.options.gateSeconds * 1000, () => this.timeOut()));
    this.probe();
    this.evaluate();
    return decided;
  }

  brokerConnected(connected: boolean): void {
    this.connected = connected;
    this.evaluate();
  }

  deviceOnline(id: string, online: boolean): void {
    if (online) this.online.add(id);
    else this.online.delete(id);
    this.evaluate();
  }

  /** Something the gate cannot see went wrong (a part failed to start): fail now. */
  fail(reason: string): void {
    if (this.state === 'waiting') this.decide({ passed: false, code: 'CONFIG_GATE_FAILED', problems: [reason], afterMs: this.elapsed() });
  }

  /** The station stops before a decision: no decision (the next start's gate decides). */
  cancel(): void {
    if (this.state !== 'waiting') return;
    this.state = 'cancelled';
    this.clearTimers();
    this.runSettled();
  }

  /**
   * Runs `fn` once the gate has decided or was cancelled (at once if it has): where whoever feeds
   * it takes its listeners off, so a station that takes many revisions does not pile them up.
   */
  onSettled(fn: () => void): void {
    if (this.state === 'passed' || this.state === 'failed' || this.state === 'cancelled') fn();
    else this.settledListeners.push(fn);
  }

  private runSettled(): void {
    for (const fn of this.settledListeners.splice(0)) fn();
  }

  private probe(): void {
    if (this.state !== 'waiting' || this.storeWritten || this.probing) return;
    this.probing = true;
    this.options.probeStore().then(
      () => {
        this.probing = false;
        this.storeWritten = true;
        this.evaluate();
      },
      (err: unknown) => {
        this.probing = false;
        this.storeError = err instanceof Error ? err.message : String(err);
        if (this.state === 'waiting') this.cancelTimers.push(this.options.clock.after(this.options.probeRetryMs ?? 1000, () => this.probe()));
      },
    );
  }

  private missingDevices(): string[] {
    return this.options.expectOnline.filter((id) => !this.online.has(id));
  }

  private evaluate(): void {
    if (this.state !== 'waiting') return;
    if (this.connected && this.storeWritten && this.missingDevices().length === 0) this.decide({ passed: true, afterMs: this.elapsed() });
  }

  private timeOut(): void {
    if (this.state !== 'waiting') return;
    const s = this.options.gateSeconds;
    const problems: string[] = [];
    if (!this.connected) problems.push(`not connected to the broker within ${s} s`);
    for (const id of this.missingDevices()) problems.push(`device ${id} did not come online within ${s} s`);
    if (!this.storeWritten) problems.push(`no write to the store succeeded within ${s} s${this.storeError ? ` (${this.storeError})` : ''}`);
    this.decide({ passed: false, code: 'CONFIG_GATE_FAILED', problems, afterMs: this.elapsed() });
  }

  private decide(outcome: GateOutcome): void {
    this.state = outcome.passed ? 'passed' : 'failed';
    this.clearTimers();
    this.settle?.(outcome);
    this.runSettled();
  }

  private elapsed(): number {
    return this.options.clock.now() - this.startedAt;
  }

  private clearTimers(): void {
    for (const cancel of this.cancelTimers) cancel();
    this.cancelTimers = [];
  }
}
