/* The line a simulated serial device talks on: a pty, a real port, or a TCP device server. */

/** The simulator's end of a serial wire. */
export interface SimSerialLink {
  /** What the gateway opens: the pty link, or the real device's far end (printed for the crew). */
  readonly devicePath: string;
  /** Where the gateway connects when the line is served on TCP (`devicePath` is then `host:port`). */
  readonly tcp?: { host: string; port: number };
  readonly baudRate: number;
  /** Bytes written while the link is down are lost, as on an unplugged cable. */
  write(bytes: Buffer | string): Promise<void>;
  onData(listener: (chunk: Buffer) => void): () => void;
  /**
   * Unplug and come back after `ms`. A pty link is removed with its socat (the gateway's open port
   * fails, as with a USB adapter pulled out) and made again at the same path; a real port is
   * closed and reopened.
   */
  drop(ms: number): Promise<void>;
  isUp(): boolean;
  close(): Promise<void>;
}
