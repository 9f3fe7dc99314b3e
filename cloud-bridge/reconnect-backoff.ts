import { exponentialDelay } from '../device-drivers/health/backoff.js';

/**
 * Reconnect delays: exponential backoff with full jitter (a uniformly random delay between a small
 * floor and the exponential ceiling). After a broker restart a fleet of thousands then spreads its
 * reconnects over the whole window instead of arriving in waves.
 */
export interface BackoffPolicy {
  /** Ceiling of the first retry; doubles with every failed attempt. */
  initialMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
  /** No retry sooner than this (MQTT.js treats a period of 0 as "never reconnect"). */
  minMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, minMs: 250 };

/** The delay before reconnect attempt `attempt` (0 = first retry after a drop). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = exponentialDelay(attempt, policy.initialMs, policy.maxMs);
  return Math.round(Math.max(policy.minMs, random() * ceiling));
}
