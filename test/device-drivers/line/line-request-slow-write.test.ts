import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LineRequestClient } from '../../../device-drivers/line/line-request-client.js';

/*
 * A write that outlasts the request's timeout (a congested TCP socket to a serial device server,
 * a slow USB adapter) must give the caller a TIMEOUT and nothing else: seen in CI, the timer's
 * rejection had no handler yet while the write was awaited, Node called it unhandled, and the
 * gateway exited on it in the middle of an unlock.
 */

class SlowWritePort extends EventEmitter {
  readonly isOpen = true;
  constructor(private readonly writeMs: number) {
    super();
  }
  open(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  write(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.writeMs));
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  unhandled.length = 0;
});

describe('a request whose write outlasts its timeout', () => {
  it('rejects with TIMEOUT for the caller and leaves no unhandled rejection behind', async () => {
    process.on('unhandledRejection', onUnhandled);
    const client = new LineRequestClient({ port: new SlowWritePort(150), log: pino({ level: 'silent' }) });
    const result = client.request('UNLOCK', [1, 5000], 20);
    // The timer fires while the write is still pending; give Node the turns in which it decides.
    await new Promise((r) => setTimeout(r, 60));
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
    await expect(result).rejects.toMatchObject({ name: 'DeviceError', code: 'TIMEOUT' });
    client.dispose();
  });
});
