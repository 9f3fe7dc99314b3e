import { rollingCodeText, STEP_SECONDS, stepAt, type PhoneSigner } from '../phone/rolling-code.js';
import { ACT_NUMBER, type OperatorAct } from './acts.js';
import { LocalFailure } from './local-failure.js';

/*
 * Signs the rolling code (`RC1:`, docs/passes.md) that authorises one operator action. The station
 * spends an unlock or operate code by its pass and 5-s step (its replay key), so two spending codes
 * of one step would make the second REPLAYED: they are signed one step apart, in order, per
 * station; the caller hears when a code waits (the page says "sending in n s"). Diagnose codes are
 * not spent at the station and are signed at once.
 */

/** What the signer needs of an OperatorIdentity: the pass's bytes and the key to sign with. */
export interface SigningIdentity {
  pass(): { bytes: Uint8Array } | undefined;
  signer(): PhoneSigner;
}

export interface SignOptions {
  /** Called when the code waits for a later step: the time (ms since 1970) it will be signed. */
  onWaiting?(at: number): void;
}

const SPENDING: ReadonlySet<OperatorAct> = new Set(['unlock', 'operate']);

export class CodeSigner {
  /** Per station: the last step a spending code was signed for, and the chain of those waiting. */
  private readonly lastStep = new Map<string, number>();
  private readonly queue = new Map<string, Promise<unknown>>();

  constructor(
    private readonly identity: SigningIdentity,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** The RC1 text for `act` on `res` at `stationId` (the code's station is the station id). */
  sign(act: OperatorAct, res: string, stationId: string, options: SignOptions = {}): Promise<string> {
    if (!SPENDING.has(act)) return this.signAt(stepAt(this.clock()), act, res, stationId);
    const before = this.queue.get(stationId) ?? Promise.resolve();
    const mine = before
      .catch(() => undefined)
      .then(async () => {
        const last = this.lastStep.get(stationId);
        let step = stepAt(this.clock());
        if (last !== undefined && step <= last) {
          const at = (last + 1) * STEP_SECONDS * 1000;
          options.onWaiting?.(at);
          // A few ms past the boundary: a timer may fire early by a tick.
          await this.sleep(Math.max(0, at - this.clock()) + 20);
          step = Math.max(last + 1, stepAt(this.clock()));
        }
        this.lastStep.set(stationId, step);
        return this.signAt(step, act, res, stationId);
      });
    this.queue.set(stationId, mine);
    return mine;
  }

  private async signAt(step: number, act: OperatorAct, res: string, stationId: string): Promise<string> {
    const pass = this.identity.pass();
    if (!pass) throw new LocalFailure('NO_PASS', 'no operator pass');
    try {
      return await rollingCodeText(pass.bytes, { step, station: stationId, act: ACT_NUMBER[act], res }, this.identity.signer());
    } catch (err) {
      throw new LocalFailure('SIGN_FAILED', (err as Error).message);
    }
  }
}
