import type { CommandErrorCode, CommandName, CommandRequest } from './contract-schemas.js';

/** The commands that change something; they carry a token and belong to the access logic. */
export type AccessCommandName = Exclude<CommandName, 'snapshot'>;

export interface CommandContext {
  /** The request stops being valid at this moment (MQTT 5 message expiry or `expiresAt`). */
  deadline: Date | undefined;
  /** 5 for MQTT 5 request/response, 4 for the 3.1.1 payload fallback. */
  protocolVersion: 4 | 5;
}

/**
 * What the access logic implements for `unlock`, `swap`, `dispense` and `slot`: the bridge has
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
