import type { ServerResponse } from 'node:http';

export interface EventStreamLimits {
  /** Open streams in all (default 16): each costs a socket and a snapshot per push on a small box. */
  max?: number;
  /** Open streams per client address (default 4: a few tabs on one laptop). */
  perClient?: number;
  /**
   * Bytes a stream may have waiting in its socket's user-space buffer (default 256 KiB, dozens of
   * snapshots). A client that stops reading would otherwise make the gateway hold every frame.
   */
  maxBufferedBytes?: number;
}

export type StreamAdmission = { admitted: true } | { admitted: false; scope: 'total' | 'client' };

/**
 * The open Server-Sent Event streams of the status page, with a cap in all and per client, and a
 * bound on what a stream may leave unsent: every frame is a whole snapshot, so a client that does
 * not keep up loses nothing by being closed (its EventSource reconnects) and costs memory if kept.
 */
export class EventStreams {
  private readonly streams = new Map<ServerResponse, string>();
  private readonly max: number;
  private readonly perClient: number;
  private readonly maxBufferedBytes: number;
  private dropped = 0;

  constructor(limits: EventStreamLimits = {}) {
    this.max = limits.max ?? 16;
    this.perClient = limits.perClient ?? 4;
    this.maxBufferedBytes = limits.maxBufferedBytes ?? 256 * 1024;
  }

  get size(): number {
    return this.streams.size;
  }

  /** Streams closed because their client did not read. */
  get droppedSlow(): number {
    return this.dropped;
  }

  admit(client: string): StreamAdmission {
    if (this.streams.size >= this.max) return { admitted: false, scope: 'total' };
    let mine = 0;
    for (const c of this.streams.values()) if (c === client) mine++;
    return mine >= this.perClient ? { admitted: false, scope: 'client' } : { admitted: true };
  }

  add(client: string, res: ServerResponse): void {
    this.streams.set(res, client);
    res.on('close', () => this.streams.delete(res));
  }

  /** Writes the frame to every stream; one whose backlog is over the bound is closed instead. */
  broadcast(frame: string): void {
    for (const res of this.streams.keys()) {
      if (res.writableLength + Buffer.byteLength(frame) > this.maxBufferedBytes) {
        this.streams.delete(res);
        this.dropped++;
        // destroy, not end: end() would queue behind the backlog the client is not reading.
        res.destroy();
      } else res.write(frame);
    }
  }

  closeAll(): void {
    for (const res of this.streams.keys()) res.end();
    this.streams.clear();
  }
}
