import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

export class NotifySocketError extends Error {
  override readonly name = 'NotifySocketError';
  readonly code = 'NOTIFY_SOCKET';
}

/** Where sd_notify messages go; the real one speaks to systemd, a test one may record them. */
export interface NotifySender {
  send(message: string): void;
  close(): Promise<void>;
}

/**
 * sd_notify over systemd's datagram socket ($NOTIFY_SOCKET). Node has no unix datagram sockets,
 * so one long-lived `socat` child carries the messages: it stays in the service's cgroup, so
 * systemd attributes every message to the unit (a short-lived `systemd-notify` per message can
 * exit before systemd reads it, and the message is dropped). The unit needs NotifyAccess=all.
 * Messages are newline-separated assignments, so two writes that reach socat as one read still
 * make one valid datagram. A socat that exits is started again by the next message; one that
 * cannot run at all means no ping arrives and systemd restarts the gateway: loud, never silent.
 * See docs/decisions.md.
 */
export class SocatNotifySender implements NotifySender {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private closing = false;
  private spawnFailed = false;

  constructor(
    private readonly socketPath: string,
    private readonly log: Logger,
  ) {
    if (!socketPath.startsWith('/') && !socketPath.startsWith('@')) throw new NotifySocketError(`NOTIFY_SOCKET must be a path or @abstract name, not "${socketPath}"`);
  }

  send(message: string): void {
    const child = this.child ?? this.spawn();
    child.stdin?.write(`${message}\n`);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.closing = true;
    child.stdin?.end();
    await this.exited;
  }

  private spawn(): ChildProcess {
    const target = this.socketPath.startsWith('@') ? `ABSTRACT-SENDTO:${this.socketPath.slice(1)}` : `UNIX-SENDTO:${this.socketPath}`;
    const child = spawn('socat', ['-u', 'STDIN', target], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-1000)));
    // A write to a socat that just died fails with EPIPE: the close handler reports it.
    child.stdin?.on('error', () => undefined);
    child.on('error', (err) => {
      // Said once: without socat every later message fails the same way.
      if (!this.spawnFailed) this.log.error({ err: err.message, code: 'NOTIFY_SOCKET' }, 'cannot start socat for the systemd watchdog (apt install socat)');
      this.spawnFailed = true;
    });
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        if (this.child === child) this.child = undefined;
        if (!this.closing && !this.spawnFailed) this.log.error({ code: 'NOTIFY_SOCKET', exitCode: code, stderr: stderr.trim() }, 'socat carrying systemd notifications exited; the next message starts it again');
        resolve();
      }),
    );
    this.child = child;
    return child;
  }
}
