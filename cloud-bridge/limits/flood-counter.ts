/**
 * Counts what is refused in bulk (junk, rate-limited attempts) and says when to write it down:
 * the first of a key, then at most once a minute with the count since, so a flood is one line a
 * minute in the log and the usage log, never one per attempt.
 */
export class FloodCounter {
  private readonly floods = new Map<string, { count: number; loggedAt: number }>();

  constructor(
    private readonly monotonic: () => number,
    private readonly everyMs = 60_000,
  ) {}

  /** Counts one for `key`; returns the attempts to report now, or undefined to stay quiet. */
  note(key: string): number | undefined {
    const flood = this.floods.get(key) ?? { count: 0, loggedAt: -Infinity };
    flood.count++;
    this.floods.set(key, flood);
    if (this.monotonic() - flood.loggedAt < this.everyMs) return undefined;
    const attempts = flood.count;
    flood.loggedAt = this.monotonic();
    flood.count = 0;
    return attempts;
  }
}
