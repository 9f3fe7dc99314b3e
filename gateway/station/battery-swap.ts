import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { CommandError } from '../../cloud-bridge/command-handler.js';
import type { CabinetSafety } from './cabinet-safety.js';
import { systemClock, type Clock, type DeviceCommander, type DurableEvents, type ReportedEvents } from './station-ports.js';
import type { CabinetView, SlotView } from './station-points.js';

export interface SwapLimits {
  /** A pulsed door that has not read open (nor changed its battery) by then is jammed. */
  doorOpenMs: number;
  /** From the empty slot's door reading open to a battery in it and the door shut. */
  insertMs: number;
  /** From the charged slot's door reading open to the battery gone and the door shut. */
  takeMs: number;
}

export const DEFAULT_SWAP_LIMITS: SwapLimits = { doorOpenMs: 5000, insertMs: 120_000, takeMs: 120_000 };

export type SwapAbortReason = 'insert-timeout' | 'door-jammed' | 'no-battery' | 'take-timeout' | 'device-error' | 'stopped';

export interface BatterySwapOptions {
  device: string;
  commander: DeviceCommander;
  /** Its `view` events drive the swap; its lock-outs decide what may be offered. */
  safety: CabinetSafety;
  /** `swap.started`, written before any door opens. */
  outbox: DurableEvents;
  /** `swap.completed` / `swap.aborted`. */
  recorder: ReportedEvents;
  log: Logger;
  clock?: Clock;
  limits?: Partial<SwapLimits>;
}

interface Battery {
  slot: number;
  batteryId: number | null;
  soc: number | null;
  packType: number | null;
}

type Phase =
  | { name: 'opening-empty'; index: number }
  | { name: 'awaiting-insert'; index: number }
  | { name: 'opening-full'; index: number; returned: Battery; offered: Battery }
  | { name: 'awaiting-take'; index: number; returned: Battery; offered: Battery };

interface Swap {
  swapId: string;
  sub: string | undefined;
  emptySlot: number;
  phase: Phase;
  /** Slots whose door did not open during this swap, not offered again. */
  tried: Set<number>;
}

/**
 * One battery swap at a time on one cabinet, as a state machine fed by the cabinet's readings:
 * open an empty slot, wait for the rider's battery and the door shut, open the fullest ready
 * battery of the same pack type, wait for it to be taken and the door shut. Every way out that is
 * not a completed swap is a `swap.aborted` with a reason, and leaves nothing open that the rider
 * still needs: their own battery is handed back when no replacement can be.
 *
 * Slots in replies and events are numbered from 1, like the contract's `slot` command; device
 * points and simulator commands number them from 0 (slot = index + 1).
 */
export class BatterySwap extends EventEmitter<{ ended: [{ swapId: string; outcome: 'completed' | SwapAbortReason }] }> {
  private readonly clock: Clock;
  private readonly limits: SwapLimits;
  private swap: Swap | undefined;
  private cancelTimer: (() => void) | undefined;
  /** Doors that did not open when pulsed, skipped by later swaps until one reads open. */
  private readonly suspectDoors = new Set<number>();
  private readonly onView = (view: CabinetView): void => this.advance(view);

  constructor(private readonly options: BatterySwapOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.limits = { ...DEFAULT_SWAP_LIMITS, ...options.limits };
  }

  start(): void {
    this.options.safety.on('view', this.onView);
  }

  /** A swap still running is aborted (`stopped`); the cabinet keeps whatever it holds. */
  stop(): void {
    this.options.safety.off('view', this.onView);
    if (this.swap) this.abort('stopped');
  }

  /** The swap in progress, for a snapshot. */
  current(): { swapId: string; phase: Phase['name']; slot: number } | undefined {
    const s = this.swap;
    return s ? { swapId: s.swapId, phase: s.phase.name, slot: s.phase.index + 1 } : undefined;
  }

  /**
   * The `swap` command after the token was accepted: opens an empty slot and resolves with
   * `{swapId, slot}` once its door was pulsed. Refuses with DEVICE_OFFLINE, BUSY, NO_BATTERY,
   * FULL (no usable empty slot) or DEVICE_ERROR (the pulse failed; the swap is then aborted).
   */
  async begin(request: { swapId: string; sub?: string }): Promise<{ swapId: string; slot: number }> {
    const { safety, device, outbox, commander, log } = this.options;
    const view = safety.current();
    if (!view.online) throw new CommandError('DEVICE_OFFLINE', `${device} is offline`);
    if (this.swap) throw new CommandError('BUSY', `${device} is busy with swap ${this.swap.swapId}`);
    if (!view.slots.some((s) => safety.offerable(s) && !this.suspectDoors.has(s.index))) throw new CommandError('NO_BATTERY', `${device} has no charged battery to offer`);
    const empty = view.slots.find((s) => s.state === 'empty' && !s.doorOpen && !safety.lockedOut(s.index) && !this.suspectDoors.has(s.index));
    if (!empty) throw new CommandError('FULL', `${device} has no empty slot to take a battery`);

    const swap: Swap = { swapId: request.swapId, sub: request.sub, emptySlot: empty.slot, phase: { name: 'opening-empty', index: empty.index }, tried: new Set() };
    // Claimed before any await, so a second command meanwhile is BUSY.
    this.swap = swap;
    try {
      outbox.append({ type: 'swap.started', device, data: { swapId: swap.swapId, ...this.subField(swap), emptySlot: empty.slot } });
    } catch (err) {
      this.swap = undefined;
      throw err;
    }
    log.info({ swapId: swap.swapId, slot: empty.slot }, 'swap started: opening an empty slot');
    this.arm(this.limits.doorOpenMs, () => this.doorStuck());
    try {
      await commander.command('openSlotDoor', true, empty.index);
    } catch (err) {
      if (this.swap === swap) this.abort('device-error', { error: String(err) });
      throw new CommandError('DEVICE_ERROR', `${device} did not open slot ${empty.slot}: ${String(err)}`);
    }
    return { swapId: swap.swapId, slot: empty.slot };
  }

  private advance(view: CabinetView): void {
    for (const s of view.slots) if (s.doorOpen) this.suspectDoors.delete(s.index);
    const swap = this.swap;
    if (!swap || !view.online) return;
    const phase = swap.phase;
    const slot = view.slots[phase.index];
    if (!slot) return;
    switch (phase.name) {
      case 'opening-empty':
        // A battery already inside means the door opened and shut between two readings.
        if (!slot.doorOpen && !slot.hasBattery) return;
        swap.phase = { name: 'awaiting-insert', index: phase.index };
        this.arm(this.limits.insertMs, () => this.abort('insert-timeout'));
        this.advance(view);
        return;
      case 'awaiting-insert':
        if (!slot.hasBattery || slot.doorOpen) return;
        this.offer(view, batteryOf(slot));
        return;
      case 'opening-full':
        if (!slot.doorOpen && slot.hasBattery) return;
        swap.phase = { name: 'awaiting-take', index: phase.index, returned: phase.returned, offered: phase.offered };
        this.arm(this.limits.takeMs, () => this.abort('take-timeout', { ...returnedFields(phase.returned), offeredSlot: phase.offered.slot }));
        this.advance(view);
        return;
      case 'awaiting-take':
        if (slot.hasBattery || slot.doorOpen) return;
        this.complete(phase.returned, phase.offered);
        return;
    }
  }

  /** Picks the fullest offerable battery of the returned pack type and opens its door, or hands the rider's own back. */
  private offer(view: CabinetView, returned: Battery): void {
    const swap = this.swap;
    if (!swap) return;
    const { safety, commander, log } = this.options;
    const best = view.slots
      .filter((s) => s.slot !== returned.slot && s.packType === returned.packType && safety.offerable(s) && !swap.tried.has(s.index) && !this.suspectDoors.has(s.index))
      .sort((a, b) => (b.soc ?? 0) - (a.soc ?? 0) || a.index - b.index)[0];
    if (!best) {
      this.handBack(returned, swap.tried.size > 0 ? 'door-jammed' : 'no-battery');
      return;
    }
    swap.tried.add(best.index);
    swap.phase = { name: 'opening-full', index: best.index, returned, offered: batteryOf(best) };
    log.info({ swapId: swap.swapId, returned: returned.slot, offered: best.slot, soc: best.soc }, 'battery returned: opening a charged one');
    this.arm(this.limits.doorOpenMs, () => this.doorStuck());
    commander.command('openSlotDoor', true, best.index).catch((err: unknown) => {
      if (this.swap !== swap) return;
      log.warn({ slot: best.slot, err: String(err) }, 'could not open the charged slot');
      this.handBack(returned, 'device-error');
    });
  }

  /** The pulsed door never read open. */
  private doorStuck(): void {
    const swap = this.swap;
    if (!swap) return;
    const phase = swap.phase;
    this.suspectDoors.add(phase.index);
    this.options.log.warn({ swapId: swap.swapId, slot: phase.index + 1 }, 'slot door did not open when pulsed');
    if (phase.name === 'opening-full') this.offer(this.options.safety.current(), phase.returned);
    else this.abort('door-jammed', { jammedSlot: phase.index + 1 });
  }

  /** No replacement: the rider's own battery is released again so they do not leave without one. */
  private handBack(returned: Battery, reason: SwapAbortReason): void {
    const { commander, log } = this.options;
    commander.command('openSlotDoor', true, returned.slot - 1).catch((err: unknown) => log.error({ slot: returned.slot, err: String(err) }, 'could not hand the rider their battery back'));
    this.abort(reason, { ...returnedFields(returned), handedBack: true });
  }

  private complete(returned: Battery, offered: Battery): void {
    const swap = this.swap;
    if (!swap) return;
    // The taken battery's id and charge are as the cabinet reported them while it was inside.
    this.end('completed', {
      type: 'swap.completed',
      data: {
        swapId: swap.swapId,
        ...this.subField(swap),
        ...returnedFields(returned),
        takenSlot: offered.slot,
        takenBatteryId: offered.batteryId,
        takenSoc: offered.soc,
        packType: returned.packType,
      },
    });
  }

  private abort(reason: SwapAbortReason, extra: Record<string, unknown> = {}): void {
    const swap = this.swap;
    if (!swap) return;
    this.options.log.warn({ swapId: swap.swapId, reason }, 'swap aborted');
    this.end(reason, { type: 'swap.aborted', data: { swapId: swap.swapId, ...this.subField(swap), reason, emptySlot: swap.emptySlot, ...extra } });
  }

  private end(outcome: 'completed' | SwapAbortReason, event: { type: string; data: Record<string, unknown> }): void {
    const swap = this.swap;
    if (!swap) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.swap = undefined;
    this.options.recorder.record({ type: event.type, device: this.options.device, data: event.data });
    this.emit('ended', { swapId: swap.swapId, outcome });
  }

  private arm(ms: number, fn: () => void): void {
    this.cancelTimer?.();
    this.cancelTimer = this.clock.after(ms, fn);
  }

  private subField(swap: Swap): { sub?: string } {
    return swap.sub !== undefined ? { sub: swap.sub } : {};
  }
}

function batteryOf(slot: SlotView): Battery {
  return { slot: slot.slot, batteryId: slot.batteryId ?? null, soc: slot.soc ?? null, packType: slot.packType ?? null };
}

function returnedFields(b: Battery): Record<string, unknown> {
  return { returnedSlot: b.slot, returnedBatteryId: b.batteryId, returnedSoc: b.soc };
}
