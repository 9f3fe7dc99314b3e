import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DeviceState } from '../../device-drivers/device.js';
import { CommandError } from '../../cloud-bridge/command-handler.js';
import { Latch } from './latch.js';
import { clearStaleAlarms, systemClock, type AlarmSink, type Clock, type DeviceCommander, type SettingsStore } from './station-ports.js';
import { cabinetView, packKey, type CabinetView, type SlotView } from './station-points.js';

/** devices.md §3 Safety: alarm at 60.0 °C or fault bit0; released only below 45.0 °C with the bit clear. */
export const OVERHEAT_C = 60;
export const RELEASE_BELOW_C = 45;
/** A smoke detector that stops reporting must stay quiet this long before charging resumes. */
export const SMOKE_CLEAR_MS = 60_000;

export const overheatAlarm = (slot: number): string => `slot.overheat.${slot}`;
export const SMOKE_ALARM = 'cabinet.smoke';

export interface CabinetSafetyOptions {
  /** The cabinet's device id (alarms and settings are keyed by it). */
  device: string;
  commander: DeviceCommander;
  alarms: AlarmSink;
  settings: SettingsStore;
  log: Logger;
  clock?: Clock;
}

interface SafetyEvents {
  /** After every cabinet state, with the cabinet as read (the swap follows it). */
  view: [CabinetView];
  /** Ready batteries or lock-outs changed (availability recomputes). */
  changed: [];
}

/**
 * Battery safety of one cabinet (devices.md §3): an overheating slot and smoke are critical
 * alarms, charging is cut at once where it must be, and such slots are locked out of swaps until
 * released. Operators lock slots out too (`slot` command), persisted across restarts. Charging
 * commands that fail (the cabinet is briefly unreachable) are retried on every state until one
 * succeeds, because the cut is the point of the whole module.
 */
export class CabinetSafety extends EventEmitter<SafetyEvents> {
  private readonly clock: Clock;
  private view: CabinetView = { online: false, smoke: false, slots: [] };
  private readonly thermal = new Map<number, Latch>();
  private readonly smoke = new Latch(SMOKE_CLEAR_MS);
  /** Operator lock-outs, by 1-based slot number. */
  private disabled = new Set<number>();
  /** Charging values still to be written, by slot index; a write in flight is not repeated. */
  private readonly pendingCharging = new Map<number, boolean>();
  private readonly writing = new Set<number>();
  private reconciled = false;
  private summary = '';

  constructor(private readonly options: CabinetSafetyOptions) {
    super();
    this.clock = options.clock ?? systemClock;
  }

  get device(): string {
    return this.options.device;
  }

  /** The operator lock-outs from the store. */
  start(): void {
    this.disabled = new Set(this.options.settings.get<number[]>(this.settingsKey) ?? []);
  }

  /** Feed every state of the cabinet's DeviceMonitor. */
  update(state: DeviceState): void {
    const view = cabinetView(state);
    this.view = view;
    if (view.online) {
      this.checkSmoke(view);
      for (const slot of view.slots) this.checkSlot(slot);
      if (!this.reconciled) this.reconcile();
      this.flushCharging();
    }
    this.emit('view', view);
    const summary = JSON.stringify([view.online, this.smoke.active, this.readyBatteries(), [...this.disabled], view.slots.map((s) => this.lockedOut(s.index))]);
    if (summary !== this.summary) {
      this.summary = summary;
      this.emit('changed');
    }
  }

  get online(): boolean {
    return this.view.online;
  }

  /** Smoke as latched: raised on the first reading with the bit, cleared once quiet for SMOKE_CLEAR_MS. */
  smokeActive(): boolean {
    return this.smoke.active;
  }

  /** The cabinet as last read. */
  current(): CabinetView {
    return this.view;
  }

  /** Whether slot `index` (0-based) may not be offered: overheated, smoke, or taken out of service. */
  lockedOut(index: number): boolean {
    return this.lockedOutThermally(index) || this.disabled.has(index + 1);
  }

  /** A battery a swap may hand out: ready, no fault bit at all, not locked out, door shut. */
  offerable(slot: SlotView): boolean {
    return slot.state === 'ready' && slot.faults.length === 0 && !slot.doorOpen && !this.lockedOut(slot.index);
  }

  /** Offerable batteries by pack type (`{"48V": 3}`); none while the cabinet is offline. */
  readyBatteries(): Record<string, number> {
    const ready: Record<string, number> = {};
    if (!this.view.online) return ready;
    for (const s of this.view.slots) if (this.offerable(s)) ready[packKey(s.packType)] = (ready[packKey(s.packType)] ?? 0) + 1;
    return ready;
  }

  /** Operator lock-outs, 1-based slot numbers. */
  disabledSlots(): number[] {
    return [...this.disabled].sort((a, b) => a - b);
  }

  /**
   * The contract's `slot` command: takes slot `slot` (from 1) out of service or back. Persisted
   * before it returns. Only the offering changes; charging is the safety logic's alone.
   */
  setSlotEnabled(slot: number, enabled: boolean): { slot: number; enabled: boolean } {
    const count = this.view.slots.length;
    if (!Number.isInteger(slot) || slot < 1 || (count > 0 && slot > count)) {
      throw new CommandError('UNKNOWN_RESOURCE', `${this.options.device} has slots 1..${count || '?'}, not ${slot}`);
    }
    const next = new Set(this.disabled);
    if (enabled) next.delete(slot);
    else next.add(slot);
    this.options.settings.set(this.settingsKey, [...next].sort((a, b) => a - b));
    this.disabled = next;
    this.options.log.info({ slot, enabled }, 'slot taken out of service or back by an operator');
    this.emit('changed');
    return { slot, enabled };
  }

  private get settingsKey(): string {
    return `cabinet.${this.options.device}.disabledSlots`;
  }

  private checkSmoke(view: CabinetView): void {
    const { alarms, device, log } = this.options;
    const change = this.smoke.update(view.smoke, !view.smoke, this.clock.now());
    if (change === 'raised') {
      alarms.raise({ alarm: SMOKE_ALARM, severity: 'critical', device });
      log.error('smoke in the cabinet: charging cut on every slot');
      for (const s of view.slots) this.pendingCharging.set(s.index, false);
    } else if (change === 'cleared') {
      alarms.clear(SMOKE_ALARM, device);
      for (const s of view.slots) if (!this.lockedOutThermally(s.index)) this.pendingCharging.set(s.index, true);
    }
  }

  private checkSlot(slot: SlotView): void {
    const { alarms, device, log } = this.options;
    let latch = this.thermal.get(slot.index);
    if (!latch) {
      latch = new Latch();
      this.thermal.set(slot.index, latch);
    }
    const temp = slot.batteryTemp;
    const hot = slot.overTemperature || (temp !== undefined && temp >= OVERHEAT_C);
    const cool = !slot.overTemperature && (temp === undefined || temp < RELEASE_BELOW_C);
    const change = latch.update(hot, cool, this.clock.now());
    if (change === 'raised') {
      alarms.raise({
        alarm: overheatAlarm(slot.slot),
        severity: 'critical',
        device,
        detail: { slot: slot.slot, batteryTemp: temp ?? null, overTemperature: slot.overTemperature, batteryId: slot.batteryId ?? null },
      });
      log.error({ slot: slot.slot, batteryTemp: temp }, 'slot overheating: charging cut, slot locked out');
      this.pendingCharging.set(slot.index, false);
    } else if (change === 'cleared') {
      alarms.clear(overheatAlarm(slot.slot), device);
      log.info({ slot: slot.slot, batteryTemp: temp }, 'slot cooled: charging resumes');
      if (!this.lockedOutThermally(slot.index)) this.pendingCharging.set(slot.index, true);
    }
  }

  /** Once, on the first reading: alarms the store kept from before a restart that no longer hold. */
  private reconcile(): void {
    this.reconciled = true;
    const { alarms, device } = this.options;
    const activeNow = new Set<string>();
    if (this.smoke.active) activeNow.add(SMOKE_ALARM);
    for (const [index, latch] of this.thermal) if (latch.active) activeNow.add(overheatAlarm(index + 1));
    const owns = (a: string): boolean => a === SMOKE_ALARM || a.startsWith('slot.overheat.');
    const stale = clearStaleAlarms(alarms, device, owns, activeNow);
    // The gateway cut those slots' charging before it restarted; nothing else will turn it back on.
    const slots = stale.includes(SMOKE_ALARM) ? this.view.slots.map((s) => s.slot) : stale.map((a) => Number(a.slice('slot.overheat.'.length)));
    for (const slot of slots) if (!this.lockedOutThermally(slot - 1)) this.pendingCharging.set(slot - 1, true);
  }

  private lockedOutThermally(index: number): boolean {
    return this.smoke.active || this.thermal.get(index)?.active === true;
  }

  private flushCharging(): void {
    for (const [index, enabled] of this.pendingCharging) {
      if (this.writing.has(index)) continue;
      this.writing.add(index);
      this.options.commander
        .command('setCharging', enabled, index)
        .then(() => {
          // A newer decision may have replaced this one while it was on the wire.
          if (this.pendingCharging.get(index) === enabled) this.pendingCharging.delete(index);
        })
        .catch((err: unknown) => this.options.log.warn({ slot: index + 1, enabled, err: String(err) }, 'charging command failed; retried on the next reading'))
        .finally(() => this.writing.delete(index));
    }
  }
}
