import type { Logger } from 'pino';
import { LifecycleError, type Part } from './part.js';

export interface StartSelection {
  /** Start only these parts and what they need (default: every part). */
  only?: readonly string[];
  /** Whether to call `run` once they have started (default true; doctor only builds the devices). */
  run?: boolean;
}

/**
 * The parts of a station, started in the order their `needs` and `after` give (a part before the
 * parts that name it; otherwise in the order they were added) and stopped in reverse. A part that
 * fails to start stops the ones already started, so a refused start leaves nothing open.
 */
export class PartRegistry {
  private readonly parts = new Map<string, Part>();
  private started: Part[] = [];
  private ran: Part[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  add<P extends Part>(part: P): P {
    if (this.parts.has(part.name)) throw new LifecycleError(`two parts are named ${part.name}`);
    this.parts.set(part.name, part);
    return part;
  }

  /** The start order of the selection; throws PART_ORDER for an unknown name or a cycle. */
  order(only?: readonly string[]): Part[] {
    const chosen = this.closure(only ?? [...this.parts.keys()]);
    const order: Part[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: readonly string[]): void => {
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') throw new LifecycleError(`parts need each other in a circle: ${[...path, name].join(' → ')}`);
      state.set(name, 'visiting');
      const part = this.get(name, path.at(-1));
      for (const before of [...(part.needs ?? []), ...(part.after ?? []).filter((a) => chosen.has(a))]) visit(before, [...path, name]);
      state.set(name, 'done');
      order.push(part);
    };
    for (const name of this.parts.keys()) if (chosen.has(name)) visit(name, []);
    return order;
  }

  async start(selection: StartSelection = {}): Promise<void> {
    if (this.started.length > 0 || this.stopping) throw new LifecycleError('a station starts once');
    const order = this.order(selection.only);
    try {
      for (const part of order) {
        await part.start();
        this.started.push(part);
      }
      if (selection.run === false) return;
      for (const part of order) {
        this.ran.push(part);
        await part.run?.();
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Halts every part that ran, then stops every started part, each last first; a part that fails
   * to halt or stop is logged and the rest still stop. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    for (const part of this.ran.splice(0).reverse()) {
      try {
        await part.halt?.();
      } catch (err) {
        this.log.error({ err, part: part.name }, 'a part failed to halt; stopping the rest');
      }
    }
    for (const part of this.started.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (err) {
        this.log.error({ err, part: part.name }, 'a part failed to stop; stopping the rest');
      }
    }
  }

  private closure(names: readonly string[]): Set<string> {
    const chosen = new Set<string>();
    const add = (name: string, by?: string): void => {
      if (chosen.has(name)) return;
      const part = this.get(name, by);
      chosen.add(name);
      for (const need of part.needs ?? []) add(need, name);
    };
    for (const name of names) add(name);
    return chosen;
  }

  private get(name: string, by: string | undefined): Part {
    const part = this.parts.get(name);
    if (!part) throw new LifecycleError(by ? `${by} needs ${name}, which no part is` : `no part is named ${name}`);
    return part;
  }
}
