import { CodeSigner } from './code-signer.js';
import { CommandChannel, failureReply, type CommandLink, type Reply } from './command-channel.js';
import { LocalFailure } from './local-failure.js';
import type { OperatorAct, OperatorIdentity, Permission } from './operator-identity.js';

/*
 * The operator's actions on one station, as the page drives them: sign a code (waiting for the
 * next step where one was just spent), send the command, keep the reply for the view to word.
 * Each action has a key (the door, the alarm, the slot) so its state is drawn where it was asked.
 */

export type ActionPhase =
  /** A spending code waits for the next 5-s step; `at` is when it will be signed and sent. */
  | { phase: 'waiting-step'; at: number }
  | { phase: 'waiting-station' }
  | { phase: 'done'; reply: Reply; at: number };

export interface ActionState {
  key: string;
  stationId: string;
  command: string;
  state: ActionPhase;
}

export interface SignedCommand {
  /** Where the state is shown: e.g. `unlock lock-1 1`, `ack slot.overheat.5 cabinet-1`. */
  key: string;
  stationId: string;
  command: string;
  body: Record<string, unknown>;
  /** The code to sign; none for a command that needs no token (snapshot). */
  code?: { act: OperatorAct; res: string };
  timeoutMs?: number;
}

export class OperatorActions {
  private readonly states = new Map<string, ActionState>();
  private readonly listeners = new Set<() => void>();
  readonly signer: CodeSigner;
  readonly channel: CommandChannel;

  /** Undefined until the key is read, and when the browser could not make or keep one: actions say so. */
  identity: OperatorIdentity | undefined;

  constructor(link: CommandLink, prefix: () => string) {
    this.signer = new CodeSigner({
      pass: () => this.identity?.pass(),
      signer: () => {
        if (!this.identity) throw new LocalFailure('NO_PASS', 'no operator key');
        return this.identity.signer();
      },
    });
    this.channel = new CommandChannel(link, prefix);
  }

  /** The operator's key and pass, once read from IndexedDB; a new pass redraws what uses it. */
  setIdentity(identity: OperatorIdentity): void {
    this.identity = identity;
    identity.onChange(() => this.changed());
    this.changed();
  }

  /** What the pass allows here (the view disables what it does not, and says why). */
  permits(act: OperatorAct | undefined, stationId: string, res?: string): Permission {
    if (!this.identity) return { ok: false, reason: 'no-pass' };
    return this.identity.permits(act, stationId, res);
  }

  state(key: string): ActionState | undefined {
    return this.states.get(key);
  }

  /** Whether an action with this key is under way (a second one is not started beside it). */
  busy(key: string): boolean {
    const s = this.states.get(key)?.state.phase;
    return s === 'waiting-step' || s === 'waiting-station';
  }

  /** Signs (if it needs a code), sends, and resolves with the reply; the state follows each step. */
  async run(c: SignedCommand): Promise<Reply> {
    const set = (state: ActionPhase): void => {
      this.states.set(c.key, { key: c.key, stationId: c.stationId, command: c.command, state });
      this.changed();
    };
    set({ phase: 'waiting-station' });
    let body = c.body;
    if (c.code) {
      try {
        const token = await this.signer.sign(c.code.act, c.code.res, c.stationId, { onWaiting: (at) => set({ phase: 'waiting-step', at }) });
        body = { ...body, token };
        set({ phase: 'waiting-station' });
      } catch (err) {
        const reply = failureReply(err);
        set({ phase: 'done', reply, at: Date.now() });
        return reply;
      }
    }
    const reply = await this.channel.request(c.stationId, c.command, body, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs });
    set({ phase: 'done', reply, at: Date.now() });
    return reply;
  }

  /** Forgets a finished action's reply (the operator closed it). */
  dismiss(key: string): void {
    if (this.busy(key)) return;
    if (this.states.delete(key)) this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
