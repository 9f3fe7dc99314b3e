import type { MqttClient } from 'mqtt';

/**
 * Tells a station's stale retained report from a fresh one, for tools that follow reports the
 * stations retain. A broker forwards live messages to a new subscription before it has sent it
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
    client.on('connect', () => filter.live.clear());
    return filter;
  }

  /** Whether to take this station's report; `retained` is the delivered packet's RETAIN flag. */
  take(station: string, retained: boolean): boolean {
    if (!retained) {
      this.live.add(station);
      return true;
    }
    return !this.live.has(station);
  }
}
