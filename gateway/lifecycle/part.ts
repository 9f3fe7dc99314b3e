/**
 * One feature of a station (the store, device polling, access, the bridge, ...) as the composition
 * root sees it. The constructor only keeps its options: nothing opens, listens or subscribes
 * until `start`, so a station can be assembled whole and only some of it started (doctor starts
 * the devices; the fleet simulator the bridge and what the bridge needs).
 */
export interface Part {
  /** Unique in a station; what other parts name in `needs` and `after`. */
  readonly name: string;
  /** Parts that must be running first: started before this one (pulled in when it is), stopped after it. */
  readonly needs?: readonly string[];
  /** Ordering only: when both run, these start first; they are not pulled in by this one. */
  readonly after?: readonly string[];
  /** Opens what it owns and subscribes to what it follows; ready to receive, produces nothing yet. */
  start(): Promise<void>;
  /**
   * Once every part has started, in the same order: begins what produces work for the others
   * (device polling, the broker connection, READY=1), so no part misses the first of it.
   */
  run?(): Promise<void>;
  /**
   * Ends what `run` began, before any part stops, last to run first: the devices stop polling, so
   * no event arrives while the others finish theirs and the bridge flushes the outbox.
   */
  halt?(): Promise<void>;
  /** Undoes `start` (and `run`, if `halt` did not): its listeners off as one, its resources closed. Called once, after a start. */
  stop(): Promise<void>;
}

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
  readonly code = 'PART_ORDER';
}
