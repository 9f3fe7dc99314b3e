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
/**
 * The record of the cabinet's latched safety (the alarm table) was lost with the database: every
 * slot is held as if it had overheated until a reading of it meets the release rule.
 */
export const SAFETY_UNPROVEN_ALARM = 'cabinet.safety-unproven';

const OVERHEAT_PREFIX = 'slot.overheat.';
const overheatSlot = (alarm: string): number | undefined => {
  if (!alarm.startsWith(OVERHEAT_PREFIX)) return undefined;
  const slot = Number(alarm.slice(OVERHEAT_PREFIX.length));
  return Number.isInteger(slot) && slot >= 1 ? slot : undefined;
};

export interface CabinetSafetyOptions {
  /** The cabinet's device id (alarms and settings are keyed by it). */
  device: string;
  commander: DeviceCommander;
  alarms: AlarmSink;
  settings: SettingsStore;
  log: Logger;
  clock?: Clock;
  /** How long the smoke bit must stay clear before the alarm clears and charging resumes; SMOKE_CLEAR_MS unless a test sweeps it. */
  smokeClearMs?: number;
  /**
   * Why the store has no record of this cabinet's safety (`missing`, `empty` or `replaced` for a
   * lost database, `corrupt` for one moved aside), or undefined when the record is intact.
   */
  recordLost?: string;
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
  private readonly smoke: Latch;
  /** Slots (by index) held only because the record was lost, until a reading proves them safe. */
  private readonly unproven = new Set<number>();
  /** The record was lost: every slot first read is held until proven (SAFETY_UNPROVEN_ALARM). */
  private failSafe = false;
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
    this.smoke = new Latch(options.smokeClearMs ?? SMOKE_CLEAR_MS);
  }

  get device(): string {
    return this.options.device;
  }

  /**
   * The operator lock-outs from the store, and the latched safety from the alarm table: the
   * stored alarms are the record of it, so a slot cut before a restart stays cut and locked out
   * until readings release it by the release rule (a restart must not count as a release), and a
   * smoke hold starts again from the first quiet reading. Without a record (a lost database),
   * every slot is held until a reading proves it safe.
   */
  start(): void {
    const { alarms, device, log, recordLost } = this.options;
    this.disabled = new Set(this.options.settings.get<number[]>(this.settingsKey) ?? []);
    const held = alarms.active().filter((a) => a.device === device);
    for (const a of held) {
      if (a.alarm === SMOKE_ALARM) this.smoke.restore();
      const slot = overheatSlot(a.alarm);
      if (slot === undefined) continue;
      const latch = new Latch();
      latch.restore();
      this.thermal.set(slot - 1, latch);
    }
    // Still unproven before this restart: the record is as lost as it was.
    const unprovenBefore = held.some((a) => a.alarm === SAFETY_UNPROVEN_ALARM);
    if (recordLost === undefined && !unprovenBefore) return;
    this.failSafe = true;
    if (!unprovenBefore) {
      alarms.raise({
        alarm: SAFETY_UNPROVEN_ALARM,
        severity: 'major',
        device,
        detail: { reason: recordLost, message: 'safety record lost with the database: charging off and no slot offered until each slot reads below 45 °C with no over-temperature bit' },
      });
    }
    log.error({ reason: recordLost ?? 'unproven before the restart' }, 'no record of latched battery safety: every slot held until a reading proves it safe');
  }

  /** Feed every state of the cabinet's DeviceMonitor. */
  update(state: DeviceState): void {
    const view = cabinetView(state);
    this.view = view;
    if (view.online) {
      this.checkSmoke(view);
      for (const slot of view.slots) this.checkSlot(slot);
      // A reading without slots (nothing read yet) proves nothing about them.
      if (view.slots.length > 0) {
        if (!this.reconciled) this.reconcile();
        this.checkProven();
      }
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
   * Whether the cabinet has door `slot` (from 1), as last read; undefined before its first reading.
   * The access logic asks before it spends an operator's token on a `slot` command.
   */
  hasSlot(slot: number): boolean | undefined {
    const count = this.view.slots.length;
    if (count === 0) return undefined;
    return Number.isInteger(slot) && slot >= 1 && slot <= count;
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
      if (this.failSafe) {
        latch.restore();
        this.unproven.add(slot.index);
        this.pendingCharging.set(slot.index, false);
      }
      this.thermal.set(slot.index, latch);
    }
    const temp = slot.batteryTemp;
    const hot = slot.overTemperature || (temp !== undefined && temp >= OVERHEAT_C);
    // A battery whose temperature did not come with the reading proves nothing; an empty slot is safe.
    const cool = !slot.overTemperature && (temp === undefined ? !slot.hasBattery : temp < RELEASE_BELOW_C);
    const change = latch.update(hot, cool, this.clock.now());
    // A slot held for want of a record that reads hot is now an overheating slot like any other.
    const provedHot = hot && this.unproven.delete(slot.index);
    if (change === 'raised' || provedHot) {
      alarms.raise({
        alarm: overheatAlarm(slot.slot),
        severity: 'critical',
        device,
        detail: { slot: slot.slot, batteryTemp: temp ?? null, overTemperature: slot.overTemperature, batteryId: slot.batteryId ?? null },
      });
      log.error({ slot: slot.slot, batteryTemp: temp }, 'slot overheating: charging cut, slot locked out');
      this.pendingCharging.set(slot.index, false);
    } else if (change === 'cleared') {
      this.unproven.delete(slot.index);
      alarms.clear(overheatAlarm(slot.slot), device);
      log.info({ slot: slot.slot, batteryTemp: temp }, 'slot cooled: charging resumes');
      if (!this.lockedOutThermally(slot.index)) this.pendingCharging.set(slot.index, true);
    }
  }

  /**
   * Once, on the first reading after start: the latches restored from the alarm table were
   * released by this reading or not (checkSlot); what stays latched has its cut written again (a
   * cabinet power-cycled meanwhile may have turned charging back on), and alarms of slots this
   * cabinet does not have are cleared.
   */
  private reconcile(): void {
    this.reconciled = true;
    const { alarms, device } = this.options;
    const present = new Set(this.view.slots.map((s) => s.index));
    for (const index of [...this.thermal.keys()]) if (!present.has(index)) this.thermal.delete(index);
    const activeNow = new Set<string>();
    if (this.smoke.active) activeNow.add(SMOKE_ALARM);
    for (const [index, latch] of this.thermal) if (latch.active) activeNow.add(overheatAlarm(index + 1));
    const owns = (a: string): boolean => a === SMOKE_ALARM || a.startsWith(OVERHEAT_PREFIX);
    clearStaleAlarms(alarms, device, owns, activeNow);
    for (const s of this.view.slots) if (this.lockedOutThermally(s.index)) this.pendingCharging.set(s.index, false);
  }

  /** Once every slot held for want of a record has read safe (or hot), the fail-safe is over. */
  private checkProven(): void {
    if (!this.failSafe || this.unproven.size > 0) return;
    this.failSafe = false;
    this.options.alarms.clear(SAFETY_UNPROVEN_ALARM, this.options.device);
    this.options.log.info('every slot has read safe or is latched on its own reading: fail-safe over');
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
