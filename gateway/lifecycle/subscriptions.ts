import type { EventEmitter } from 'node:events';

type EventMap<T> = Record<keyof T, any[]>;

/** A part's listeners, removed as one when it stops: no part leaves a listener on another behind. */
export class Subscriptions {
  private readonly undo: Array<() => void> = [];

  on<T extends EventMap<T>, K extends keyof T & string>(source: EventEmitter<T>, event: K, listener: (...args: T[K]) => void): void {
    // Node's typings take the listener through conditional types that a generic K cannot satisfy.
    const emitter = source as unknown as EventEmitter;
    emitter.on(event, listener as (...args: unknown[]) => void);
    this.undo.push(() => emitter.off(event, listener as (...args: unknown[]) => void));
  }

  /** Anything else to undo at stop: the remover a `Listeners.add` returns, a timer's cancel. */
  add(undo: () => void): void {
    this.undo.push(undo);
  }

  clear(): void {
    for (const off of this.undo.splice(0).reverse()) off();
  }
}
