/*
 * Keeps the screen on while a code is shown (Screen Wake Lock API, where the browser has it): a
 * phone that dims or locks at the door shows the scanner nothing. The browser drops the lock when
 * the page is hidden, so it is asked for again when the page comes back.
 */
export class ScreenKeeper {
  private sentinel: WakeLockSentinel | undefined;
  private wanted = false;
  private readonly onVisible = (): void => {
    if (this.wanted && document.visibilityState === 'visible') void this.acquire();
  };

  /** Whether the browser can keep the screen on at all (shown to the worker when not). */
  static get available(): boolean {
    return 'wakeLock' in navigator;
  }

  start(): void {
    this.wanted = true;
    document.addEventListener('visibilitychange', this.onVisible);
    void this.acquire();
  }

  stop(): void {
    this.wanted = false;
    document.removeEventListener('visibilitychange', this.onVisible);
    void this.sentinel?.release().catch(() => undefined);
    this.sentinel = undefined;
  }

  private async acquire(): Promise<void> {
    if (!ScreenKeeper.available || this.sentinel?.released === false) return;
    try {
      this.sentinel = await navigator.wakeLock.request('screen');
    } catch {
      // Refused (battery saver, no user gesture): the code still shows; the screen may dim.
    }
  }
}
