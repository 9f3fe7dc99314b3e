import type { CommandErrorCode, CommandName, CommandRequest } from './contract-schemas.js';

/**
 * The commands that carry a token and belong to the access logic: those that change something,
 * and the read-only diagnostics (`logs`, `doctor`) that need an operator's `diagnose` token.
 */
export type AccessCommandName = Exclude<CommandName, 'snapshot'>;

export interface CommandContext {
  /** The request stops being valid at this moment (MQTT 5 message expiry or `expiresAt`). */
  deadline: Date | undefined;
  /** 5 for MQTT 5 request/response, 4 for the 3.1.1 payload fallback. */
  protocolVersion: 4 | 5;
  /**
   * Bytes the reply takes beyond its `result` (topic, correlation, envelope): a command whose
   * result may be large (cmd/logs) keeps it within MAX_PACKET_BYTES minus this.
   */
  replyOverheadBytes?: number | undefined;
}

/**
 * What the access logic implements for `unlock`, `swap`, `dispense`, `slot`, `ack`, `logs` and `doctor`: the bridge has
 * already parsed the request against its schema and checked its expiry. Resolve with the reply's
 * `result`; refuse by throwing a `CommandError` with a code from the contract.
 */
export interface CommandHandler {
  handle<N extends AccessCommandName>(name: N, request: CommandRequest<N>, context: CommandContext): Promise<Record<string, unknown>>;
}

/** A refusal with a contract error code (`{"ok":false,"error":{"code","message"}}`). */
export class CommandError extends Error {
  constructor(
    readonly code: CommandErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}
