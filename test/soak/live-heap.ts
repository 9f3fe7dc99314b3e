import { once } from 'node:events';
import WebSocket from 'ws';

/**
 * The gateway's live JavaScript heap after a full garbage collection, asked over the inspector
 * protocol (the gateway started with `--inspect=127.0.0.1:PORT`). Heap used at a random moment
 * rises and falls with the collector; after a forced full GC it is what is really held, so a
 * leak shows as a slope there (`npm run soak -- --live-heap`).
 */
export class LiveHeap {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const w = msg.id === undefined ? undefined : this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id as number);
      if (msg.error) w.reject(new Error(msg.error.message));
      else w.resolve(msg.result);
    });
  }

  static async connect(port: number, timeoutMs = 10_000): Promise<LiveHeap> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
        const url = targets[0]?.webSocketDebuggerUrl;
        if (url) {
          const ws = new WebSocket(url);
          await once(ws, 'open');
          const heap = new LiveHeap(ws);
          await heap.call('HeapProfiler.enable');
          return heap;
        }
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async usedMb(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const usage = (await this.call('Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize / 2 ** 20;
  }

  close(): void {
    this.ws.close();
  }

  private call(method: string): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method }));
    });
  }
}
