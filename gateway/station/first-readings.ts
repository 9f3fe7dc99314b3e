/** A device's monitor as far as waiting for its first verdict goes (a DeviceMonitor fits). */
export interface ReadingSource {
  readonly id: string;
  /** Emitted on every good read and on the offline verdict (DeviceMonitor's `state`). */
  on(event: 'state', listener: () => void): unknown;
  off(event: 'state', listener: () => void): unknown;
}

/**
 * Whether every device in a set has been heard from once: its first good reading, or the
 * offline verdict after `offlineAfter` failed polls. Until then what the station logic knows of
 * it is its boot default ("offline, nothing ready"), which is no fact worth publishing.
 */
export class FirstReadings {
  private readonly waiting: Set<string>;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly sources: readonly ReadingSource[]) {
    this.waiting = new Set(sources.map((s) => s.id));
  }

  settled(): boolean {
    return this.waiting.size === 0;
  }

  /**
   * Calls `onSettled` once, when the last device is first heard from. Subscribe after the parts
   * that read the same states, so they have taken the reading in when it runs.
   */
  start(onSettled: () => void): void {
    for (const s of this.sources) {
      const heard = (): void => {
        if (!this.waiting.delete(s.id)) return;
        if (this.waiting.size === 0) onSettled();
      };
      s.on('state', heard);
      this.listeners.push(() => s.off('state', heard));
    }
  }

  stop(): void {
    for (const off of this.listeners.splice(0)) off();
  }
}
