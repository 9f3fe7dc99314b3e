/**
 * Coalesces redraw requests into one per animation frame: a burst of thousands of retained
 * messages costs one layout, not one per message.
 */
export class FrameScheduler {
  private pending = false;

  constructor(private readonly draw: () => void) {}

  request(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }
}
