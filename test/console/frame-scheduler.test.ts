import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AGAIN_MS, FrameScheduler } from '../../console/src/frame-scheduler.js';

/** Node has no animation frames: one every 16 ms of fake time. */
const FRAME_MS = 16;
const frame = (run: () => void): void => void setTimeout(run, FRAME_MS);

describe('the frame scheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('draws once on the next frame for any number of requests before it', () => {
    const draw = vi.fn();
    const s = new FrameScheduler(draw, frame);
    for (let i = 0; i < 1000; i++) s.request();
    expect(draw).not.toHaveBeenCalled();
    vi.advanceTimersByTime(FRAME_MS);
    expect(draw).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * FRAME_MS);
    expect(draw).toHaveBeenCalledTimes(1);
  });

  it('answers a request made while drawing (a view not done yet) after AGAIN_MS, with the requests meanwhile', () => {
    let s: FrameScheduler | undefined = undefined;
    let again = 2;
    const draw = vi.fn(() => {
      if (again-- > 0) s?.request();
    });
    s = new FrameScheduler(draw, frame);
    s.request();
    vi.advanceTimersByTime(FRAME_MS);
    expect(draw).toHaveBeenCalledTimes(1);
    // Messages keep coming: they join the pending draw instead of drawing every frame.
    for (let t = 0; t < AGAIN_MS; t += FRAME_MS) {
      s.request();
      vi.advanceTimersByTime(FRAME_MS);
    }
    expect(draw).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(FRAME_MS);
    expect(draw).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(AGAIN_MS + FRAME_MS);
    expect(draw).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(10 * AGAIN_MS);
    expect(draw).toHaveBeenCalledTimes(3);
  });

  it('draws on the next frame again once a request comes from outside a draw', () => {
    const draw = vi.fn();
    const s = new FrameScheduler(draw, frame);
    s.request();
    vi.advanceTimersByTime(FRAME_MS);
    s.request();
    vi.advanceTimersByTime(FRAME_MS);
    expect(draw).toHaveBeenCalledTimes(2);
  });
});
