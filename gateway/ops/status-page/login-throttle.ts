import { exponentialDelay } from '../../../device-drivers/health/backoff.js';

/**
 * Failed-login throttle for the status page. Basic auth is checked on every request, so without
 * this a laptop on the LAN can try thousands of passwords a second. Per client (its address): a
 * few free failures, then a lock-out that doubles with each further failure, up to a ceiling.
 * Globally (many addresses, e.g. IPv6 privacy addresses): a budget of failures per window; once
 * spent, clients that have not logged in recently are refused until the window ends, while a
 * crew's browser that logged in before keeps its page (a flood must not lock the crew out).
 */
export interface LoginThrottleOptions {
  /** Failures a client may make before it is locked out (default 5). */
  freeFailures?: number;
  /** The first lock-out; each further failure doubles it (default 1 s). */
  baseLockMs?: number;
  /** The longest lock-out (default 5 min). */
  maxLockMs?: number;
  /** A client's failures are forgotten this long after its last one (default 15 min). */
  forgetMs?: number;
  /** Failures from all clients together per window before strangers are refused (default 100). */
  globalFailures?: number;
  /** The global window, also the lock-out of strangers once it is spent (default 60 s). */
  globalWindowMs?: number;
  /** Clients remembered (failing and known-good each); the oldest is dropped first (default 1000). */
  maxClients?: number;
  now?: () => number;
}

export type LoginVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; scope: 'client' | 'global' };

export interface LoginCounts {
  /** Wrong user or password. */
  failed: number;
  /** Refused with 429 before the password was looked at. */
  refused: number;
}

interface ClientRecord {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly clients = new Map<string, ClientRecord>();
  /** Address → when it last logged in. */
  private readonly knownGood = new Map<string, number>();
  private globalWindowStart = -Infinity;
  private globalFailures = 0;
  private readonly totals: LoginCounts = { failed: 0, refused: 0 };
  private readonly o: Required<Omit<LoginThrottleOptions, 'now'>>;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.o = {
      freeFailures: options.freeFailures ?? 5,
      baseLockMs: options.baseLockMs ?? 1000,
      maxLockMs: options.maxLockMs ?? 5 * 60_000,
      forgetMs: options.forgetMs ?? 15 * 60_000,
      globalFailures: options.globalFailures ?? 100,
      globalWindowMs: options.globalWindowMs ?? 60_000,
      maxClients: options.maxClients ?? 1000,
    };
    this.now = options.now ?? (() => performance.now());
  }

  /** Before the password is checked: may this client try now? A refusal is counted. */
  check(client: string): LoginVerdict {
    const now = this.now();
    const verdict = this.verdict(client, now);
    if (!verdict.allowed) this.totals.refused++;
    return verdict;
  }

  failed(client: string): void {
    const now = this.now();
    const prev = this.clients.get(client);
    const forgotten = !prev || now - prev.lastFailureAt > this.o.forgetMs;
    const failures = forgotten ? 1 : prev.failures + 1;
    const over = failures - this.o.freeFailures;
    const lockedUntil = over >= 0 ? now + exponentialDelay(over, this.o.baseLockMs, this.o.maxLockMs) : 0;
    this.remember(this.clients, client, { failures, lastFailureAt: now, lockedUntil });
    this.rollGlobalWindow(now);
    this.globalFailures++;
    this.totals.failed++;
  }

  succeeded(client: string): void {
    this.clients.delete(client);
    this.remember(this.knownGood, client, this.now());
  }

  counts(): LoginCounts {
    return { ...this.totals };
  }

  private verdict(client: string, now: number): LoginVerdict {
    const record = this.clients.get(client);
    if (record && record.lockedUntil > now) return { allowed: false, retryAfterMs: record.lockedUntil - now, scope: 'client' };
    this.rollGlobalWindow(now);
    if (this.globalFailures >= this.o.globalFailures && !this.isKnownGood(client, now)) {
      return { allowed: false, retryAfterMs: this.globalWindowStart + this.o.globalWindowMs - now, scope: 'global' };
    }
    return { allowed: true };
  }

  private isKnownGood(client: string, now: number): boolean {
    const at = this.knownGood.get(client);
    return at !== undefined && now - at <= this.o.forgetMs;
  }

  private rollGlobalWindow(now: number): void {
    if (now - this.globalWindowStart < this.o.globalWindowMs) return;
    this.globalWindowStart = now;
    this.globalFailures = 0;
  }

  /** Re-inserts so Map order is least recently touched first, then drops the oldest over the cap. */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.o.maxClients) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
    }
  }
}
