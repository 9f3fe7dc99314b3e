import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** JSON lines on stdout (journald keeps them); one child logger per part, named by `part`. */
export function createLogger(level: LoggerOptions['level'] = 'info', destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing: for library callers and tests that do not look at logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
