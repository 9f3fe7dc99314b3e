/**
 * A request made while drawing is a view asking to be called again later (a re-query or a map
 * refit not due yet): it is answered after this long, not on the very next frame. During a fleet
 * load the views would otherwise draw every frame just to find their re-query not due, at about
 * 50 ms of layout and paint each on a 2-core machine, taken from the thread receiving the load.
 */
export const AGAIN_MS = 100;

/**
 * Coalesces redraw requests into one per animation frame: a burst of thousands of retained
 * messages costs one layout, not one per message. A request from outside a draw (a batch of
 * messages, a key press) is drawn on the next frame; one from inside a draw after AGAIN_MS, and
 * the requests that come meanwhile join it.
 */
export class FrameScheduler {
  private pending = false;
  private drawing = false;

  constructor(
    private readonly draw: () => void,
    /** The browser's next animation frame; a test gives its own. */
    private readonly nextFrame: (run: () => void) => void = animationFrame,
  ) {}

  request(): void {
    if (this.pending) return;
    this.pending = true;
    if (this.drawing) setTimeout(() => this.nextFrame(this.run), AGAIN_MS);
    else this.nextFrame(this.run);
  }

  private readonly run = (): void => {
    this.pending = false;
    this.drawing = true;
    try {
      this.draw();
    } finally {
      this.drawing = false;
    }
  };
}

/** Read from globalThis, so that the module also type-checks where there is no DOM (the unit tests). */
function animationFrame(run: () => void): void {
  (globalThis as unknown as { requestAnimationFrame(cb: () => void): number }).requestAnimationFrame(run);
}
