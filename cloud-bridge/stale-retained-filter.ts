import type { MqttClient } from 'mqtt';

/**
 * Tells a stale retained message from a fresh one, for clients that follow what the stations
 * retain (keyed by station or by topic). A broker forwards live messages to a new subscription before it has sent it
 * the retained ones (aedes registers the subscription, then streams what it retains), so a
 * retained report can arrive after the live one that replaced it: a committed update overwritten
 * by the trial before it left a rollout's ring waiting for its timeout. Once a station has sent a
 * live report, a retained one is stale (or the same), until the next connect subscribes afresh.
 * Timestamps cannot order them: a box whose clock is not set yet after a reboot reports from the past.
 */
export class StaleRetainedFilter {
  private readonly live = new Set<string>();

  /** Forgets what was live on every (re)connect: the broker's retained messages are the truth again. */
  static on(client: MqttClient): StaleRetainedFilter {
    const filter = new StaleRetainedFilter();
    client.on('connect', () => filter.reset());
    return filter;
  }

  /** A new connection: what was live on the old one says nothing about the retained messages to come. */
  reset(): void {
    this.live.clear();
  }

  /** Whether to take this message of `key` (a station, a topic); `retained` is the delivered packet's RETAIN flag. */
  take(key: string, retained: boolean): boolean {
    if (!retained) {
      this.live.add(key);
      return true;
    }
    return !this.live.has(key);
  }
}
