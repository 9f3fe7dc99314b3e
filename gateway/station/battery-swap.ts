import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { BatteryCabinet, CabinetReading, SlotReading } from '../../device-drivers/capabilities/capabilities.js';
import { AccessDenied } from '../access/access-error.js';
import type { CabinetSafety } from './cabinet-safety.js';
import { type DurableEvents, type ReportedEvents } from './station-ports.js';
import { systemClock, type Clock } from '../../config/clock.js';

export interface SwapLimits {
  /** A pulsed door that has not read open (nor changed its battery) by then is jammed. Unused on a cabinet without door sensors. */
  doorOpenMs: number;
  /** From the empty slot's door reading open (or, without door sensors, its pulse) to a battery in it and the door shut. */
  insertMs: number;
  /** From the charged slot's door reading open (or, without door sensors, its pulse) to the battery gone and the door shut. */
  takeMs: number;
}

export const DEFAULT_SWAP_LIMITS: SwapLimits = { doorOpenMs: 5000, insertMs: 120_000, takeMs: 120_000 };

export type SwapAbortReason = 'insert-timeout' | 'door-jammed' | 'no-battery' | 'take-timeout' | 'device-error' | 'stopped';

export interface BatterySwapOptions {
  device: string;
  /** Opens the doors (`openSlotDoor`); its parts say whether doors can be seen open. */
  cabinet: BatteryCabinet;
  /** Its `reading` events drive the swap; its lock-outs decide what may be offered. */
  safety: CabinetSafety;
  /** `swap.started`, written before any door opens. */
  outbox: DurableEvents;
  /** `swap.completed` / `swap.aborted`. */
  recorder: ReportedEvents;
  log: Logger;
  clock?: Clock | undefined;
  limits?: Partial<SwapLimits>;
}

interface Battery {
  slot: number;
  batteryId: string | null;
  soc: number | null;
  packType: string | null;
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
 * open an empty slot, wait for the rider's battery (and the door shut), open the fullest ready
 * battery of the same pack type, wait for it to be taken (and the door shut). Every way out that
 * is not a completed swap is a `swap.aborted` with a reason, and leaves nothing open that the
 * rider still needs: their own battery is handed back when no replacement can be.
 *
 * A cabinet without door sensors (`parts.doorSensor` false) is followed by its batteries alone:
 * the return is done once a battery is present in the opened slot (with its id, where the
 * cabinet reads ids), the take once the offered slot reads empty or holds another battery. No
 * door ever reads open there, so no door counts as jammed and the door timer is not used: a door
 * that did not open shows as an insert or take timeout.
 *
 * Slots in replies and events are numbered from 1, like the contract's `slot` command; the
 * cabinet's commands take the index from 0 (slot = index + 1).
 */
export class BatterySwap extends EventEmitter<{ ended: [{ swapId: string; outcome: 'completed' | SwapAbortReason }] }> {
  private readonly clock: Clock;
  private readonly limits: SwapLimits;
  private swap: Swap | undefined;
  private cancelTimer: (() => void) | undefined;
  /** Doors that did not open when pulsed, skipped by later swaps until one reads open. */
  private readonly suspectDoors = new Set<number>();
  private readonly onReading = (reading: CabinetReading): void => this.advance(reading);

  constructor(private readonly options: BatterySwapOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.limits = { ...DEFAULT_SWAP_LIMITS, ...options.limits };
  }

  start(): void {
    this.options.safety.on('reading', this.onReading);
  }

  /** A swap still running is aborted (`stopped`); the cabinet keeps whatever it holds. */
  stop(): void {
    this.options.safety.off('reading', this.onReading);
    if (this.swap) this.abort('stopped');
  }

  /** The swap in progress, for a snapshot. */
  current(): { swapId: string; phase: Phase['name']; slot: number } | undefined {
    const s = this.swap;
    return s ? { swapId: s.swapId, phase: s.phase.name, slot: s.phase.index + 1 } : undefined;
  }

  /**
   * Every refusal `begin` would make now, and nothing else: no event, no door, no claim. The
   * access logic calls it before it spends the token. Throws AccessDenied with DEVICE_OFFLINE,
   * BUSY, CLOSED (smoke in this cabinet), NO_BATTERY (nothing offerable: charging, faulty, hot,
   * or every ready slot taken out of service) or FULL (no usable empty slot).
   */
  check(): void {
    this.pickEmpty();
  }

  /**
   * The `swap` command after the token was accepted: opens an empty slot and resolves with
   * `{swapId, slot}` once its door was pulsed. Refuses as `check` does (the cabinet may have
   * changed since), or with DEVICE_ERROR when the pulse failed (the swap is then aborted).
   */
  async begin(request: { swapId: string; sub?: string }): Promise<{ swapId: string; slot: number }> {
    const { device, outbox, cabinet, log } = this.options;
    const empty = this.pickEmpty();
    const phase: Phase = this.doorSensor() ? { name: 'opening-empty', index: empty.index } : { name: 'awaiting-insert', index: empty.index };
    const swap: Swap = { swapId: request.swapId, sub: request.sub, emptySlot: empty.slot, phase, tried: new Set() };
    // Claimed before any await, so a second command meanwhile is BUSY.
    this.swap = swap;
    try {
      outbox.append({ type: 'swap.started', device, data: { swapId: swap.swapId, ...this.subField(swap), emptySlot: empty.slot } });
    } catch (err) {
      this.swap = undefined;
      throw err;
    }
    log.info({ swapId: swap.swapId, slot: empty.slot }, 'swap started: opening an empty slot');
    if (phase.name === 'opening-empty') this.arm(this.limits.doorOpenMs, () => this.doorStuck());
    else this.arm(this.limits.insertMs, () => this.insertTimeout());
    try {
      await cabinet.openSlotDoor(empty.index);
    } catch (err) {
      if (this.swap === swap) this.abort('device-error', { error: String(err) });
      throw new AccessDenied('DEVICE_ERROR', `${device} did not open slot ${empty.slot}: ${String(err)}`);
    }
    return { swapId: swap.swapId, slot: empty.slot };
  }

  /** The empty slot a swap would open now, or the refusal. */
  private pickEmpty(): SlotReading {
    const { safety, device } = this.options;
    const reading = safety.current();
    if (!reading.online) throw new AccessDenied('DEVICE_OFFLINE', `${device} is offline`);
    if (this.swap) throw new AccessDenied('BUSY', `${device} is busy with swap ${this.swap.swapId}`);
    if (safety.smokeActive()) throw new AccessDenied('CLOSED', `smoke in ${device}: no swaps until it has cleared`);
    if (!reading.slots.some((s) => safety.offerable(s) && !this.suspectDoors.has(s.index))) throw new AccessDenied('NO_BATTERY', `${device} has no charged battery to offer`);
    const empty = reading.slots.find((s) => this.takesReturn(s));
    if (!empty) throw new AccessDenied('FULL', `${device} has no empty slot to take a battery`);
    return empty;
  }

  private takesReturn(s: SlotReading): boolean {
    const doorShut = this.doorSensor() ? s.doorOpen === false : true;
    return s.state === 'empty' && !s.hasBattery && doorShut && !this.options.safety.lockedOut(s.index) && !this.suspectDoors.has(s.index);
  }

  private doorSensor(): boolean {
    return this.options.cabinet.parts.doorSensor;
  }

  private advance(reading: CabinetReading): void {
    for (const s of reading.slots) if (s.doorOpen === true) this.suspectDoors.delete(s.index);
    const swap = this.swap;
    if (!swap || !reading.online) return;
    const phase = swap.phase;
    const slot = reading.slots[phase.index];
    if (!slot) return;
    switch (phase.name) {
      case 'opening-empty':
        // A battery already inside means the door opened and shut between two readings.
        if (slot.doorOpen !== true && !slot.hasBattery) return;
        swap.phase = { name: 'awaiting-insert', index: phase.index };
        this.arm(this.limits.insertMs, () => this.insertTimeout());
        this.advance(reading);
        return;
      case 'awaiting-insert':
        if (!this.returnDone(slot)) return;
        this.offer(reading, batteryOf(slot));
        return;
      case 'opening-full':
        if (slot.doorOpen !== true && slot.hasBattery) return;
        swap.phase = { name: 'awaiting-take', index: phase.index, returned: phase.returned, offered: phase.offered };
        this.arm(this.limits.takeMs, () => this.abort('take-timeout', { ...returnedFields(phase.returned), offeredSlot: phase.offered.slot }));
        this.advance(reading);
        return;
      case 'awaiting-take':
        if (!this.takeDone(slot, phase.offered)) return;
        this.complete(phase.returned, phase.offered);
        return;
    }
  }

  /** The rider's battery is in: with door sensors, behind a shut door; without, present and (where ids are read) identified. */
  private returnDone(slot: SlotReading): boolean {
    if (!slot.hasBattery) return false;
    if (this.doorSensor()) return slot.doorOpen === false;
    return !this.options.cabinet.parts.batteryIds || slot.batteryId !== undefined;
  }

  /**
   * The offered battery is gone: with door sensors, the slot empty behind a shut door; without,
   * the slot empty, or (where ids are read) another battery in it. A missing id while the slot
   * still reads a battery is a BMS link that flickered, not a take.
   */
  private takeDone(slot: SlotReading, offered: Battery): boolean {
    if (this.doorSensor()) return !slot.hasBattery && slot.doorOpen === false;
    if (!slot.hasBattery) return true;
    return this.options.cabinet.parts.batteryIds && slot.batteryId !== undefined && slot.batteryId !== offered.batteryId;
  }

  /** Picks the fullest offerable battery of the returned pack type and opens its door, or hands the rider's own back. */
  private offer(reading: CabinetReading, returned: Battery): void {
    const swap = this.swap;
    if (!swap) return;
    const { safety, cabinet, log } = this.options;
    const best = reading.slots
      .filter((s) => s.slot !== returned.slot && (s.packType ?? null) === returned.packType && safety.offerable(s) && !swap.tried.has(s.index) && !this.suspectDoors.has(s.index))
      .sort((a, b) => (b.charge ?? 0) - (a.charge ?? 0) || a.index - b.index)[0];
    if (!best) {
      this.handBack(returned, swap.tried.size > 0 && this.doorSensor() ? 'door-jammed' : 'no-battery');
      return;
    }
    swap.tried.add(best.index);
    const offered = batteryOf(best);
    log.info({ swapId: swap.swapId, returned: returned.slot, offered: best.slot, soc: best.charge }, 'battery returned: opening a charged one');
    if (this.doorSensor()) {
      swap.phase = { name: 'opening-full', index: best.index, returned, offered };
      this.arm(this.limits.doorOpenMs, () => this.doorStuck());
    } else {
      swap.phase = { name: 'awaiting-take', index: best.index, returned, offered };
      this.arm(this.limits.takeMs, () => this.abort('take-timeout', { ...returnedFields(returned), offeredSlot: offered.slot }));
    }
    cabinet.openSlotDoor(best.index).catch((err: unknown) => {
      if (this.swap !== swap) return;
      log.warn({ slot: best.slot, err: String(err) }, 'could not open the charged slot');
      this.handBack(returned, 'device-error');
    });
  }

  /** The pulsed door never read open (only with door sensors). */
  private doorStuck(): void {
    const swap = this.swap;
    if (!swap) return;
    const phase = swap.phase;
    this.suspectDoors.add(phase.index);
    this.options.log.warn({ swapId: swap.swapId, slot: phase.index + 1 }, 'slot door did not open when pulsed');
    if (phase.name === 'opening-full') this.offer(this.options.safety.current(), phase.returned);
    else this.abort('door-jammed', { jammedSlot: phase.index + 1 });
  }

  /**
   * Nobody put a battery in. Without door sensors, a battery that is there but whose id never
   * read cannot be swapped for one: it is handed back rather than kept.
   */
  private insertTimeout(): void {
    const swap = this.swap;
    if (!swap) return;
    const slot = this.options.safety.current().slots[swap.phase.index];
    if (!this.doorSensor() && slot?.hasBattery) this.handBack(batteryOf(slot), 'insert-timeout');
    else this.abort('insert-timeout');
  }

  /** No replacement: the rider's own battery is released again so they do not leave without one. */
  private handBack(returned: Battery, reason: SwapAbortReason): void {
    const { cabinet, log } = this.options;
    cabinet.openSlotDoor(returned.slot - 1).catch((err: unknown) => log.error({ slot: returned.slot, err: String(err) }, 'could not hand the rider their battery back'));
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

function batteryOf(slot: SlotReading): Battery {
  return { slot: slot.slot, batteryId: slot.batteryId ?? null, soc: slot.charge ?? null, packType: slot.packType ?? null };
}

function returnedFields(b: Battery): Record<string, unknown> {
  return { returnedSlot: b.slot, returnedBatteryId: b.batteryId, returnedSoc: b.soc };
}
