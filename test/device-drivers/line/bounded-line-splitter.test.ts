import { describe, it, expect, vi } from 'vitest';
import { BoundedLineSplitter } from '../../../device-drivers/line/bounded-line-splitter.js';
import type { DroppedLine } from '../../../device-drivers/line/bounded-line-splitter.js';

/** Feeds the chunks, ends the stream, and collects what came out. */
async function split(chunks: (string | Buffer)[], maxLength = 16): Promise<{ lines: string[]; dropped: DroppedLine[]; count: number }> {
  const splitter = new BoundedLineSplitter({ maxLength });
  const lines: string[] = [];
  const dropped: DroppedLine[] = [];
  splitter.on('data', (line: string) => lines.push(line));
  splitter.on('dropped', (d: DroppedLine) => dropped.push(d));
  const done = new Promise<void>((resolve, reject) => {
    splitter.on('end', resolve);
    splitter.on('error', reject);
  });
  for (const c of chunks) splitter.write(c);
  splitter.end();
  await done;
  return { lines, dropped, count: splitter.dropped };
}

describe('BoundedLineSplitter', () => {
  it('splits on \\r, \\n and \\r\\n', async () => {
    const { lines } = await split(['a\rb\nc\r\nd\n']);
    expect(lines).toEqual(['a', 'b', 'c', 'd']);
  });

  it('treats \\r\\n split across chunks as one terminator', async () => {
    const { lines, count } = await split(['one\r', '\ntwo\r', '\n']);
    expect(lines).toEqual(['one', 'two']);
    expect(count).toBe(0);
  });

  it('drops empty lines silently', async () => {
    const { lines, dropped } = await split(['\r\n\n\r\r\nx\n\n\n']);
    expect(lines).toEqual(['x']);
    expect(dropped).toEqual([]);
  });

  it('joins a line delivered a byte at a time', async () => {
    const { lines } = await split([...'hello\r\n'].map((c) => Buffer.from(c)));
    expect(lines).toEqual(['hello']);
  });

  it('decodes multi-byte UTF-8 cut between chunks', async () => {
    const bytes = Buffer.from('é€\n', 'utf8');
    const { lines } = await split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)]);
    expect(lines).toEqual(['é€']);
  });

  it('keeps a line of exactly maxLength', async () => {
    const { lines, count } = await split(['x'.repeat(16), '\n'], 16);
    expect(lines).toEqual(['x'.repeat(16)]);
    expect(count).toBe(0);
  });

  it('discards an over-long line up to its terminator, counts it, and goes on', async () => {
    const { lines, dropped, count } = await split(['ok1\n', 'y'.repeat(10), 'y'.repeat(10), 'y'.repeat(100), '\r\nok2\n'], 16);
    expect(lines).toEqual(['ok1', 'ok2']);
    expect(count).toBe(1);
    expect(dropped).toEqual([{ reason: 'too-long', bytes: 120 }]);
  });

  it('drops an unterminated tail at the end of the stream', async () => {
    const { lines, dropped } = await split(['a\npartial'], 16);
    expect(lines).toEqual(['a']);
    expect(dropped).toEqual([{ reason: 'unterminated', bytes: 7 }]);
  });

  it('passes non-printable bytes through as text (the drivers judge them)', async () => {
    const { lines } = await split([Buffer.from([0x01, 0x41, 0x00, 0x0a])]);
    expect(lines).toEqual(['\u0001A\u0000']);
  });

  it('never holds more than maxLength bytes however long the stream runs without a terminator', async () => {
    const splitter = new BoundedLineSplitter({ maxLength: 8 });
    const dropped: DroppedLine[] = [];
    const lines: string[] = [];
    splitter.on('dropped', (d: DroppedLine) => dropped.push(d));
    splitter.on('data', (l: string) => lines.push(l));
    // 1 MB of noise with no terminator: the splitter must neither grow nor emit anything.
    for (let i = 0; i < 1024; i++) splitter.write(Buffer.alloc(1024, 0x55));
    splitter.write('\nfine\n');
    await new Promise<void>((resolve) => splitter.end(resolve));
    expect(dropped).toEqual([{ reason: 'too-long', bytes: 1024 * 1024 }]);
    expect(splitter.dropped).toBe(1);
    expect(lines).toEqual(['fine']);
  });

  it('rejects a nonsensical maxLength', () => {
    expect(() => new BoundedLineSplitter({ maxLength: 0 })).toThrow(RangeError);
  });

  it('with maxIdleMs, drops a line that pauses, so its rest is not glued to the next line', async () => {
    // Fake clock: what is checked is the rule, not how punctual this machine is.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const splitter = new BoundedLineSplitter({ maxLength: 64, maxIdleMs: 200 });
      const lines: string[] = [];
      const dropped: DroppedLine[] = [];
      splitter.on('data', (line: string) => lines.push(line));
      splitter.on('dropped', (d: DroppedLine) => dropped.push(d));

      splitter.write('HALF-A-SCAN');
      await vi.advanceTimersByTimeAsync(199);
      expect(dropped).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(dropped).toEqual([{ reason: 'unterminated', bytes: 11 }]);

      splitter.write('NEXT\r\n');
      // Bytes that keep coming within the idle time are one line.
      splitter.write('AB');
      await vi.advanceTimersByTimeAsync(150);
      splitter.write('CD\n');
      await vi.advanceTimersByTimeAsync(500);
      expect(lines).toEqual(['NEXT', 'ABCD']);
      expect(dropped).toHaveLength(1);
      splitter.destroy();
    } finally {
      vi.useRealTimers();
    }
  });
});
