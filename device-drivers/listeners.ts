/**
 * The listeners of one kind of event. A listener that throws is handed to `onError` and the
 * others still hear the event: one consumer's bug must not deafen the station logic behind it,
 * and a driver must not die of it.
 */
export class Listeners<T> {
  private readonly listeners = new Set<(event: T) => void>();

  constructor(private readonly onError: (err: unknown, event: T) => void) {}

  /** Adds `listener`; the function returned removes it. */
  add(listener: (event: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Forgets every listener (a disposed client hears nothing more). */
  clear(): void {
    this.listeners.clear();
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onError(err, event);
      }
    }
  }
}
