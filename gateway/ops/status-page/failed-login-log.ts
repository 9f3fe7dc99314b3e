import type { Logger } from 'pino';

/**
 * Logs failed status-page logins without letting a guesser fill the journal: the first failure of
 * a quiet spell is logged at once, the rest are counted and logged as one line per window (with
 * the counts and the busiest addresses) for as long as they go on.
 */
export class FailedLoginLog {
  private timer: NodeJS.Timeout | undefined;
  private failed = 0;
  private refused = 0;
  private readonly byClient = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly windowMs = 60_000,
  ) {}

  failure(client: string): void {
    if (this.note(client)) this.failed++;
  }

  /** A request refused by the throttle (429) is an attempt too. */
  refusal(client: string): void {
    if (this.note(client)) this.refused++;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  /** False when logged at once (the first of a quiet spell), true when left for the summary. */
  private note(client: string): boolean {
    if (!this.timer) {
      this.log.warn({ code: 'STATUS_PAGE_LOGIN', remote: client }, 'status page: failed login');
      this.schedule();
      return false;
    }
    this.byClient.set(client, (this.byClient.get(client) ?? 0) + 1);
    return true;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.flush()) this.schedule();
    }, this.windowMs);
    this.timer.unref();
  }

  /** True when there was something to log (then the next window is watched too). */
  private flush(): boolean {
    if (this.failed === 0 && this.refused === 0) {
      this.byClient.clear();
      return false;
    }
    const top = [...this.byClient].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([remote, attempts]) => ({ remote, attempts }));
    this.log.warn(
      { code: 'STATUS_PAGE_LOGIN', failed: this.failed, refused: this.refused, clients: this.byClient.size, top, windowSeconds: this.windowMs / 1000 },
      `status page: ${this.failed} more failed logins and ${this.refused} refused attempts in the last ${this.windowMs / 1000} s`,
    );
    this.failed = 0;
    this.refused = 0;
    this.byClient.clear();
    return true;
  }
}
