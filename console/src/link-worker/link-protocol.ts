import type { FailReason } from '../i18n/chrome-text.js';

/*
 * What the page and the link's worker (link-worker.ts) say to each other. Fleet messages cross in
 * batches, one postMessage per batch: their payloads packed end to end in one ArrayBuffer that is
 * transferred, not copied, with the topics beside it. A fleet load is tens of thousands of small
 * messages; one structured clone and one page task each would cost the page what the worker saves.
 */

export interface Credentials {
  url: string;
  username: string;
  password: string;
  /** The contract's topic prefix, `stations` unless the fleet configured another. */
  prefix: string;
}

/**
 * What the link is doing, typed: the page words it (i18n/chrome-text.ts). `detail` is the
 * broker's or the library's own text, shown beside the words, never instead of them.
 */
export type LinkState =
  | { state: 'connecting' | 'connected' | 'closed' }
  | { state: 'reconnecting'; reason?: FailReason; detail?: string }
  | { state: 'error'; reason: FailReason; detail?: string; retrying: boolean }
  /** Connected and subscribed, yet no `<prefix>/+/status` arrived within `quietMs`. */
  | { state: 'no-stations'; prefix: string; seconds: number };

/** The fleet-wide, retained topics: everything the fleet list needs, nothing per event. */
export function fleetTopics(prefix: string): string[] {
  return ['status', 'alarms', 'availability', 'devices/+'].map((t) => `${prefix}/+/${t}`);
}

export type ToWorker =
  | { type: 'connect'; credentials: Credentials; clientId: string; quietMs: number; connectTimeoutMs: number }
  | { type: 'close' }
  | { type: 'watch-events'; topic: string | undefined }
  | { type: 'publish'; id: number; topic: string; payload: string }
  | { type: 'listen'; id: number; topic: string }
  | { type: 'unlisten'; topic: string };

export type FromWorker =
  | { type: 'state'; state: LinkState; connected: boolean }
  | MessageBatch
  /** A message on a topic the page listens on itself (a reply): sent at once, never batched. */
  | { type: 'own'; topic: string; payload: Uint8Array }
  /** The answer to a publish or listen with that id; `error` when it failed. */
  | { type: 'done'; id: number; error?: string };

export interface MessageBatch {
  type: 'messages';
  topics: string[];
  /** `ends[i]`: where message i's payload ends in `bytes` (it starts where i - 1's ends). */
  ends: Uint32Array;
  bytes: ArrayBuffer;
}

/** Collects messages into one batch; `take` hands it over and starts the next. */
export class BatchBuilder {
  private topics: string[] = [];
  private ends: number[] = [];
  private bytes = new Uint8Array(64 * 1024);
  private used = 0;

  get size(): number {
    return this.topics.length;
  }

  add(topic: string, payload: Uint8Array): void {
    if (this.used + payload.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + payload.length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.bytes.set(payload, this.used);
    this.used += payload.length;
    this.topics.push(topic);
    this.ends.push(this.used);
  }

  /** The batch so far (its buffer is fresh, ready to transfer), or undefined when empty. */
  take(): MessageBatch | undefined {
    if (this.topics.length === 0) return undefined;
    const batch: MessageBatch = { type: 'messages', topics: this.topics, ends: Uint32Array.from(this.ends), bytes: this.bytes.slice(0, this.used).buffer };
    this.topics = [];
    this.ends = [];
    this.used = 0;
    return batch;
  }
}

/** Each message of a batch, its payload a view into the batch's buffer (no copy). */
export function forEachMessage(batch: MessageBatch, visit: (topic: string, payload: Uint8Array) => void): void {
  const bytes = new Uint8Array(batch.bytes);
  let start = 0;
  batch.topics.forEach((topic, i) => {
    const end = batch.ends[i] ?? start;
    visit(topic, bytes.subarray(start, end));
    start = end;
  });
}
