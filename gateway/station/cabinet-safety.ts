import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { BatteryCabinet, CabinetReading, SlotReading } from '../../device-drivers/capabilities/capabilities.js';
import { DeviceError } from '../../device-drivers/device-error.js';
import { AccessDenied } from '../access/access-error.js';
import { Latch } from './latch.js';
import { clearStaleAlarms, type AlarmSink, type SettingsStore } from './station-ports.js';
import { systemClock, type Clock } from '../../config/clock.js';
import { DEFAULT_RISE_C_PER_MINUTE, DEFAULT_RISE_WINDOW_MS, TemperatureRise } from './temperature-rise.js';
import type { AlarmName } from '../../cloud-bridge/alarm-catalogue.js';
import type { OutOfServiceEntry } from '../../cloud-bridge/contract-schemas.js';
import { isRecord } from '../../config/is-record.js';
import { StoreFullError } from '../store/store-errors.js';

/** devices.md §3 Safety: alarm at 60.0 °C or the pack's over-temperature flag; released only below 45.0 °C with the flag clear. */
export const OVERHEAT_C = 60;
export const RELEASE_BELOW_C = 45;
/** A smoke detector that stops reporting must stay quiet this long before charging resumes. */
export const SMOKE_CLEAR_MS = 60_000;
/**
 * A slot locked out for a fast rise is released by the overheat rule (below 45 °C, no flag) only
 * once it has also stopped rising for this long. The cut ends the heat that charging puts in; a
 * pack that keeps heating without it is the runaway case and stays out, while one that stays cool
 * and steady for ten windows was heated by its charging (a tired pack, a failing charger) and is
 * released as an overheated slot would be, without a crew having to drive out for every false alarm.
 */
export const RISE_RELEASE_MS = 600_000;

export const overheatAlarm = (slot: number): AlarmName => `slot.overheat.${slot}`;
export const risingAlarm = (slot: number): AlarmName => `slot.temp-rising.${slot}`;
/**
 * Critical while slot N holds a battery whose charging safety wants off and the gateway has no
 * way to switch it off (no per-slot switch, no whole-cabinet cut, or the cabinet refused the
 * command as unsupported). The overheat, rise or smoke alarm says why; this one says that the
 * charger may still be feeding the battery, so someone has to go and pull it.
 */
export const notCutAlarm = (slot: number): AlarmName => `slot.charging-not-cut.${slot}`;
export const SMOKE_ALARM = 'cabinet.smoke' satisfies AlarmName;
/**
 * The record of the cabinet's latched safety (the alarm table) was lost with the database: every
 * slot is held as if it had overheated until a reading of it meets the release rule.
 */
export const SAFETY_UNPROVEN_ALARM = 'cabinet.safety-unproven' satisfies AlarmName;

const OVERHEAT_PREFIX = 'slot.overheat.';
const RISING_PREFIX = 'slot.temp-rising.';
const NOT_CUT_PREFIX = 'slot.charging-not-cut.';
const slotIn = (prefix: string, alarm: string): number | undefined => {
  if (!alarm.startsWith(prefix)) return undefined;
  const slot = Number(alarm.slice(prefix.length));
  return Number.isInteger(slot) && slot >= 1 ? slot : undefined;
};

/** How the gateway cuts a slot's charging on this cabinet. */
export type ChargingCut = 'slot-switch' | 'cabinet-switch' | 'none';

const CUT_PHRASE: Record<ChargingCut, string> = {
  'slot-switch': 'cutting its charging',
  'cabinet-switch': "cutting the whole cabinet's charging (no slot switch)",
  none: 'charging NOT cut (no switch)',
};

export interface CabinetSafetyOptions {
  /** The cabinet's device id (alarms and settings are keyed by it). */
  device: string;
  /** The cabinet's resource name in the station file, as `S/availability` lists its slots out of service; default the device id. */
  resource?: string | undefined;
  /** Its parts say how charging can be cut; its commands cut it. */
  cabinet: BatteryCabinet;
  alarms: AlarmSink;
  settings: SettingsStore;
  log: Logger;
  clock?: Clock | undefined;
  /** How long the smoke flag must stay clear before the alarm clears and charging resumes; SMOKE_CLEAR_MS unless a test sweeps it. */
  smokeClearMs?: number | undefined;
  /** A pack temperature rising at least this fast (°C per minute) is cut and locked out; DEFAULT_RISE_C_PER_MINUTE (2). */
  riseCPerMinute?: number;
  /** Over this long a rise must be sustained; DEFAULT_RISE_WINDOW_MS (60 s). */
  riseWindowMs?: number;
  /** How long a fast-rise lock-out must read cool and steady before it is released; RISE_RELEASE_MS (10 min). */
  riseReleaseMs?: number;
  /**
   * Why the store has no record of this cabinet's safety (`missing`, `empty` or `replaced` for a
   * lost database, `corrupt` for one moved aside), or undefined when the record is intact.
   */
  recordLost?: string | undefined;
}

interface SafetyEvents {
  /** After every cabinet reading, with the cabinet as read (the swap follows it). */
  reading: [CabinetReading];
  /** Ready batteries or lock-outs changed (availability recomputes). */
  changed: [];
}

const NOT_READ: CabinetReading = { online: false, smoke: undefined, mainsOk: undefined, tamper: undefined, fanFault: undefined, cabinetTemperature: undefined, slots: [] };

/**
 * Battery safety of one cabinet (devices.md §3): an overheating slot, a fast-rising pack
 * temperature and smoke are critical alarms, charging is cut at once where it must be, and such
 * slots are locked out of swaps until released. Operators lock slots out too (`slot` command),
 * persisted across restarts.
 *
 * Charging is cut with what the cabinet has (its `parts`): the slot's own switch; else the whole
 * cabinet's cut, restored only once no slot of the cabinet is held and there is no smoke; else
 * nothing, and `slot.charging-not-cut.N` says so. A cut that fails (the cabinet briefly
 * unreachable) is retried on every reading until acknowledged, because the cut is the point of
 * the whole module; one the cabinet rejects as UNSUPPORTED is not retried, and the next means is
 * used instead. The log says a cut happened only once the cabinet acknowledged it.
 */
export class CabinetSafety extends EventEmitter<SafetyEvents> {
  private readonly clock: Clock;
  private readonly risePerMinute: number;
  private readonly riseWindowMs: number;
  private readonly riseReleaseMs: number;
  private reading: CabinetReading = NOT_READ;
  private readonly overheat = new Map<number, Latch>();
  private readonly rising = new Map<number, Latch>();
  private readonly rise = new Map<number, TemperatureRise>();
  /** What each slot held when last read online, to see a battery arrive. */
  private readonly contents = new Map<number, { present: boolean; id: string | undefined }>();
  private readonly smoke: Latch;
  /** Charging held off from outside (the station's fire response), with its reason. */
  private hold: string | undefined;
  /** Slots (by index) held only because the record was lost, until a reading proves them safe. */
  private readonly unproven = new Set<number>();
  /** The record was lost: every slot first read is held until proven (SAFETY_UNPROVEN_ALARM). */
  private failSafe = false;
  /** Operator lock-outs, by 1-based slot number: who took each out, when, why. */
  private disabled = new Map<number, SlotOutRecord>();

  /** Per slot, the charging last decided (written or being written). */
  private readonly slotCharging = new Map<number, boolean>();
  /**
   * Slots whose charging may not be what a clean start assumes (on): latched before a restart,
   * or every slot after smoke or a lost record. Their first decision is written whatever it is.
   */
  private readonly chargingUnknown = new Set<number>();
  private allChargingUnknown = false;
  /** Slot charging values still to be written, by index; a write in flight is not repeated. */
  private readonly pending = new Map<number, boolean>();
  private readonly writing = new Set<number>();
  /** Slots whose switch the cabinet rejected as UNSUPPORTED. */
  private readonly slotUnsupported = new Set<number>();
  private cabinetCharging: boolean | undefined = true;
  private cabinetPending: boolean | undefined;
  private cabinetWriting = false;
  private cabinetUnsupported = false;
  /** Slots whose `slot.charging-not-cut.N` is raised. */
  private readonly notCut = new Set<number>();

  private reconciled = false;
  private summary = '';

  constructor(private readonly options: CabinetSafetyOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.smoke = new Latch(options.smokeClearMs ?? SMOKE_CLEAR_MS);
    this.risePerMinute = options.riseCPerMinute ?? DEFAULT_RISE_C_PER_MINUTE;
    this.riseWindowMs = options.riseWindowMs ?? DEFAULT_RISE_WINDOW_MS;
    this.riseReleaseMs = options.riseReleaseMs ?? RISE_RELEASE_MS;
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
    this.disabled = this.readDisabled();
    const held = alarms.active().filter((a) => a.device === device);
    for (const a of held) {
      if (a.alarm === SMOKE_ALARM) {
        this.smoke.restore();
        this.allChargingUnknown = true;
      }
      for (const [prefix, latches, releaseMs] of [
        [OVERHEAT_PREFIX, this.overheat, 0],
        [RISING_PREFIX, this.rising, this.riseReleaseMs],
      ] as const) {
        const slot = slotIn(prefix, a.alarm);
        if (slot === undefined) continue;
        const latch = new Latch(releaseMs);
        latch.restore();
        latches.set(slot - 1, latch);
        this.chargingUnknown.add(slot - 1);
      }
    }
    if (this.chargingUnknown.size > 0 || this.allChargingUnknown) this.cabinetCharging = undefined;
    // Still unproven before this restart: the record is as lost as it was.
    const unprovenBefore = held.some((a) => a.alarm === SAFETY_UNPROVEN_ALARM);
    if (recordLost === undefined && !unprovenBefore) return;
    this.failSafe = true;
    this.allChargingUnknown = true;
    this.cabinetCharging = undefined;
    if (!unprovenBefore) {
      const cut = this.cutMeans(undefined);
      alarms.raise({
        alarm: SAFETY_UNPROVEN_ALARM,
        severity: 'major',
        device,
        detail: {
          reason: recordLost,
          cut,
          message:
            cut === 'none'
              ? 'safety record lost with the database: no slot offered until each slot reads below 45 °C with no over-temperature flag; charging could not be cut: the cabinet has no charging switch'
              : 'safety record lost with the database: charging off and no slot offered until each slot reads below 45 °C with no over-temperature flag',
        },
      });
    }
    log.error({ reason: recordLost ?? 'unproven before the restart' }, 'no record of latched battery safety: every slot held until a reading proves it safe');
  }

  /** Feed every reading of the cabinet (`cabinet.reading(state)` for each state of its DeviceMonitor). */
  update(reading: CabinetReading): void {
    this.reading = reading;
    if (reading.online) {
      const now = this.clock.now();
      this.checkSmoke(reading);
      for (const slot of reading.slots) this.checkSlot(slot, now);
      // A reading without slots (nothing read yet) proves nothing about them.
      if (reading.slots.length > 0) {
        this.decideCharging();
        if (!this.reconciled) this.reconcile();
        this.checkProven();
      }
      this.flushCharging();
    } else {
      // An offline spell is a gap: no rate is measured across it.
      for (const r of this.rise.values()) r.reset();
    }
    this.emit('reading', reading);
    const summary = JSON.stringify([reading.online, this.smoke.active, this.readyBatteries(), [...this.disabled.keys()], reading.slots.map((s) => this.lockedOut(s.index))]);
    if (summary !== this.summary) {
      this.summary = summary;
      this.emit('changed');
    }
  }

  get online(): boolean {
    return this.reading.online;
  }

  /** Smoke as latched: raised on the first reading with the flag, cleared once quiet for SMOKE_CLEAR_MS. */
  smokeActive(): boolean {
    return this.smoke.active;
  }

  /** The cabinet as last read. */
  current(): CabinetReading {
    return this.reading;
  }

  /** What the cabinet can do (its profile's parts). */
  get parts(): BatteryCabinet['parts'] {
    return this.options.cabinet.parts;
  }

  /** Whether slot `index` (0-based) may not be offered: overheated, rising fast, smoke, or taken out of service. */
  lockedOut(index: number): boolean {
    return this.smoke.active || this.thermallyHeld(index) || this.disabled.has(index + 1);
  }

  /**
   * A battery a swap may hand out: ready, no fault flag, not locked out, and its door known shut.
   * On a cabinet without door sensors no door is ever known open, so the door does not count.
   */
  offerable(slot: SlotReading): boolean {
    const doorShut = this.parts.doorSensor ? slot.doorOpen === false : true;
    return slot.state === 'ready' && slot.faults.length === 0 && !slot.overTemperature && doorShut && !this.lockedOut(slot.index);
  }

  /** Offerable batteries by pack type (`{"48V": 3}`); none while the cabinet is offline. */
  readyBatteries(): Record<string, number> {
    const ready: Record<string, number> = {};
    if (!this.reading.online) return ready;
    for (const s of this.reading.slots) if (this.offerable(s)) ready[packKey(s.packType)] = (ready[packKey(s.packType)] ?? 0) + 1;
    return ready;
  }

  /** Operator lock-outs, 1-based slot numbers. */
  disabledSlots(): number[] {
    return [...this.disabled.keys()].sort((a, b) => a - b);
  }

  /** The operator lock-outs as `S/availability` lists them (`outOfService`), by slot. */
  slotsOutOfService(): OutOfServiceEntry[] {
    const { device, resource = device } = this.options;
    return this.disabledSlots().map((slot) => {
      const r = this.disabled.get(slot)!;
      return { resource, device, slot, since: r.since, ...(r.by !== undefined ? { by: r.by } : {}), ...(r.reason !== undefined ? { reason: r.reason } : {}), source: 'command' as const };
    });
  }

  /**
   * Whether the cabinet has door `slot` (from 1), as last read; undefined before its first reading.
   * The access logic asks before it spends an operator's token on a `slot` command.
   */
  hasSlot(slot: number): boolean | undefined {
    const count = this.reading.slots.length;
    if (count === 0) return undefined;
    return Number.isInteger(slot) && slot >= 1 && slot <= count;
  }

  /**
   * The contract's `slot` command: takes slot `slot` (from 1) out of service or back, for operator
   * `by` (the credential's sub) with an optional `reason`. Persisted before it returns. Taking out
   * a slot already out keeps the first record (who, when, why), as cmd/service does. Only the
   * offering changes; charging is the safety logic's alone.
   */
  setSlotEnabled(slot: number, enabled: boolean, by?: string, reason?: string): { slot: number; enabled: boolean } {
    const count = this.reading.slots.length;
    if (!Number.isInteger(slot) || slot < 1 || (count > 0 && slot > count)) {
      throw new AccessDenied('UNKNOWN_RESOURCE', `${this.options.device} has slots 1..${count || '?'}, not ${slot}`);
    }
    if (this.disabled.has(slot) !== enabled) return { slot, enabled };
    const next = new Map(this.disabled);
    if (enabled) next.delete(slot);
    else next.set(slot, { since: new Date(this.clock.now()).toISOString(), ...(by !== undefined ? { by } : {}), ...(reason !== undefined ? { reason } : {}) });
    try {
      this.options.settings.set(this.slotsKey, Object.fromEntries([...next].sort(([a], [b]) => a - b).map(([n, r]) => [String(n), r])));
    } catch (err) {
      if (err instanceof StoreFullError) throw new AccessDenied('INTERNAL', `the station cannot record the change (disk full); slot ${slot} stays ${enabled ? 'out of' : 'in'} service`);
      throw err;
    }
    this.disabled = next;
    this.options.log.info({ slot, enabled, by }, 'slot taken out of service or back by an operator');
    this.emit('changed');
    return { slot, enabled };
  }

  /**
   * The station's fire response: smoke seen by another device holds this cabinet's charging off
   * (`reason`), or lets it go again (undefined). Offering is not changed here: a station in smoke
   * is closed to workers by availability and access.
   */
  holdCharging(reason: string | undefined): void {
    if (reason === this.hold) return;
    this.hold = reason;
    const { log } = this.options;
    if (reason !== undefined) log.error({ reason }, `charging held off by the station's fire response: ${this.cabinetPhrase()}`);
    else log.info('the fire response let charging go again');
    if (this.reading.online && this.reading.slots.length > 0) {
      this.decideCharging();
      this.flushCharging();
    }
  }

  /** Before who/when/why were kept: a list of slot numbers (read when the newer record is absent). */
  private get legacyKey(): string {
    return `cabinet.${this.options.device}.disabledSlots`;
  }

  /**
   * `{"<slot>": {since, by?, reason?}}`. A key of its own, not the legacy one's new shape: an
   * older gateway reading this back must not meet an object where it expects a list.
   */
  private get slotsKey(): string {
    return `cabinet.${this.options.device}.slotsOutOfService`;
  }

  /** The stored lock-outs; unreadable entries are dropped (and said), never a crash at start. */
  private readDisabled(): Map<number, SlotOutRecord> {
    const { settings, log } = this.options;
    const out = new Map<number, SlotOutRecord>();
    const stored = settings.get<unknown>(this.slotsKey);
    if (stored === undefined) {
      const legacy = settings.get<unknown>(this.legacyKey);
      // Who and when were not kept then: since reads as this start.
      const since = new Date(this.clock.now()).toISOString();
      if (Array.isArray(legacy)) for (const n of legacy) if (isSlotNumber(n)) out.set(n, { since });
      return out;
    }
    for (const [key, entry] of Object.entries(isRecord(stored) ? stored : {})) {
      const slot = Number(key);
      const record = readSlotRecord(entry);
      if (isSlotNumber(slot) && record) out.set(slot, record);
      else log.warn({ slot: key }, 'unreadable out-of-service slot record ignored');
    }
    return out;
  }

  private checkSmoke(reading: CabinetReading): void {
    const { alarms, device, log } = this.options;
    // A cabinet without a smoke role (undefined) sees none; the station's smoke detectors reach
    // it through holdCharging.
    const smoke = reading.smoke === true;
    const change = this.smoke.update(smoke, !smoke, this.clock.now());
    if (change === 'raised') {
      alarms.raise({ alarm: SMOKE_ALARM, severity: 'critical', device });
      log.error(`smoke in the cabinet: every slot locked out; ${this.cabinetPhrase()}`);
    } else if (change === 'cleared') {
      alarms.clear(SMOKE_ALARM, device);
      log.info('smoke cleared: slots released where nothing else holds them');
    }
  }

  private checkSlot(slot: SlotReading, now: number): void {
    const { alarms, device, log } = this.options;
    const { index } = slot;
    let overheat = this.overheat.get(index);
    if (!overheat) {
      overheat = new Latch();
      if (this.failSafe) {
        overheat.restore();
        this.unproven.add(index);
      }
      this.overheat.set(index, overheat);
    }
    const temp = slot.batteryTemperature;
    const hot = slot.overTemperature || (temp !== undefined && temp >= OVERHEAT_C);
    // A battery whose temperature did not come with the reading proves nothing; an empty slot is safe.
    const cool = !slot.overTemperature && (temp === undefined ? !slot.hasBattery : temp < RELEASE_BELOW_C);
    const change = overheat.update(hot, cool, now);
    // A slot held for want of a record that reads hot is now an overheating slot like any other.
    const provedHot = hot && this.unproven.delete(index);
    if (change === 'raised' || provedHot) {
      const cut = this.cutMeans(index);
      alarms.raise({
        alarm: overheatAlarm(slot.slot),
        severity: 'critical',
        device,
        detail: { slot: slot.slot, batteryTemp: temp ?? null, overTemperature: slot.overTemperature, batteryId: slot.batteryId ?? null, cut },
      });
      log.error({ slot: slot.slot, batteryTemp: temp, cut }, `slot overheating: locked out; ${CUT_PHRASE[cut]}`);
    } else if (change === 'cleared') {
      this.unproven.delete(index);
      alarms.clear(overheatAlarm(slot.slot), device);
      log.info({ slot: slot.slot, batteryTemp: temp }, 'slot cooled: overheat lock-out released');
    }
    this.checkRise(slot, now, cool);
  }

  private checkRise(slot: SlotReading, now: number, cool: boolean): void {
    const { alarms, device, log } = this.options;
    const { index } = slot;
    let tracker = this.rise.get(index);
    if (!tracker) {
      tracker = new TemperatureRise(this.riseWindowMs);
      this.rise.set(index, tracker);
    }
    const before = this.contents.get(index);
    this.contents.set(index, { present: slot.hasBattery, id: slot.batteryId });
    const arrived = before !== undefined && slot.hasBattery && (!before.present || (before.id !== undefined && slot.batteryId !== undefined && before.id !== slot.batteryId));
    if (!slot.hasBattery) tracker.reset(now);
    else if (arrived) tracker.reset(now, this.riseWindowMs);
    const rate = slot.hasBattery ? tracker.observe(now, slot.batteryTemperature) : undefined;
    const fast = rate !== undefined && rate >= this.risePerMinute;
    let latch = this.rising.get(index);
    if (!latch) {
      latch = new Latch(this.riseReleaseMs);
      this.rising.set(index, latch);
    }
    const change = latch.update(fast, !fast && cool, now);
    if (change === 'raised') {
      const cut = this.cutMeans(index);
      const perMinute = Math.round((rate ?? 0) * 10) / 10;
      alarms.raise({
        alarm: risingAlarm(slot.slot),
        severity: 'critical',
        device,
        detail: {
          slot: slot.slot,
          batteryTemp: slot.batteryTemperature ?? null,
          risePerMinute: perMinute,
          windowSeconds: Math.round(this.riseWindowMs / 1000),
          batteryId: slot.batteryId ?? null,
          cut,
        },
      });
      log.error({ slot: slot.slot, batteryTemp: slot.batteryTemperature, risePerMinute: perMinute, cut }, `slot temperature rising fast: locked out; ${CUT_PHRASE[cut]}`);
    } else if (change === 'cleared') {
      alarms.clear(risingAlarm(slot.slot), device);
      log.info({ slot: slot.slot, batteryTemp: slot.batteryTemperature }, 'slot steady and cool again: fast-rise lock-out released');
    }
  }

  /**
   * What each slot's charging should be, against what was last decided: a change is queued for
   * the slot's switch, or decides the whole cabinet's cut, or, with neither, raises
   * `slot.charging-not-cut.N`. Called on every reading, and again when a means turns out unsupported.
   */
  private decideCharging(): void {
    const bySlot = this.parts.chargingSwitch;
    let cabinetOn = !(this.smoke.active || this.hold !== undefined);
    for (const s of this.reading.slots) {
      const off = this.chargingHeld(s.index);
      if (bySlot && !this.slotUnsupported.has(s.index)) {
        const known = this.slotCharging.get(s.index) ?? (this.allChargingUnknown || this.chargingUnknown.has(s.index) ? undefined : true);
        if (known !== !off) {
          this.slotCharging.set(s.index, !off);
          this.pending.set(s.index, !off);
        }
      } else if (off) {
        cabinetOn = false;
      }
      const cuttable = this.cutMeans(s.index) !== 'none';
      this.setNotCut(s, off && !cuttable && (s.hasBattery || this.thermallyHeld(s.index)));
    }
    if (this.cabinetCutUsable() && this.cabinetCharging !== cabinetOn) {
      this.cabinetCharging = cabinetOn;
      this.cabinetPending = cabinetOn;
    }
  }

  private setNotCut(slot: SlotReading, raised: boolean): void {
    const { alarms, device } = this.options;
    if (raised === this.notCut.has(slot.index)) return;
    if (raised) {
      this.notCut.add(slot.index);
      const why = this.parts.chargingSwitch || this.parts.cabinetChargingCut ? 'the cabinet rejected its charging command as unsupported' : 'the cabinet has no charging switch';
      alarms.raise({ alarm: notCutAlarm(slot.slot), severity: 'critical', device, detail: { slot: slot.slot, batteryId: slot.batteryId ?? null, message: `charging could not be cut: ${why}` } });
    } else {
      this.notCut.delete(slot.index);
      alarms.clear(notCutAlarm(slot.slot), device);
    }
  }

  /**
   * Once, on the first reading after start: the latches restored from the alarm table were
   * released by this reading or not (checkSlot), and what stays latched had its cut decided again
   * (decideCharging: a cabinet power-cycled meanwhile may have turned charging back on); alarms
   * of slots this cabinet does not have, or that this reading no longer supports, are cleared.
   */
  private reconcile(): void {
    this.reconciled = true;
    const { alarms, device } = this.options;
    const present = new Set(this.reading.slots.map((s) => s.index));
    for (const latches of [this.overheat, this.rising]) for (const index of [...latches.keys()]) if (!present.has(index)) latches.delete(index);
    const activeNow = new Set<string>();
    if (this.smoke.active) activeNow.add(SMOKE_ALARM);
    for (const [index, latch] of this.overheat) if (latch.active) activeNow.add(overheatAlarm(index + 1));
    for (const [index, latch] of this.rising) if (latch.active) activeNow.add(risingAlarm(index + 1));
    for (const index of this.notCut) activeNow.add(notCutAlarm(index + 1));
    const owns = (a: string): boolean => a === SMOKE_ALARM || a.startsWith(OVERHEAT_PREFIX) || a.startsWith(RISING_PREFIX) || a.startsWith(NOT_CUT_PREFIX);
    clearStaleAlarms(alarms, device, owns, activeNow);
  }

  /** Once every slot held for want of a record has read safe (or hot), the fail-safe is over. */
  private checkProven(): void {
    if (!this.failSafe || this.unproven.size > 0) return;
    this.failSafe = false;
    this.options.alarms.clear(SAFETY_UNPROVEN_ALARM, this.options.device);
    this.options.log.info('every slot has read safe or is latched on its own reading: fail-safe over');
  }

  private thermallyHeld(index: number): boolean {
    return this.overheat.get(index)?.active === true || this.rising.get(index)?.active === true;
  }

  private chargingHeld(index: number): boolean {
    return this.smoke.active || this.hold !== undefined || this.thermallyHeld(index);
  }

  private cabinetCutUsable(): boolean {
    return this.parts.cabinetChargingCut && !this.cabinetUnsupported;
  }

  /** How slot `index`'s charging is cut (undefined: any slot, as for smoke). */
  private cutMeans(index: number | undefined): ChargingCut {
    const slotSwitch = this.parts.chargingSwitch && (index === undefined ? this.slotUnsupported.size === 0 : !this.slotUnsupported.has(index));
    if (slotSwitch) return 'slot-switch';
    return this.cabinetCutUsable() ? 'cabinet-switch' : 'none';
  }

  private cabinetPhrase(): string {
    const cut = this.cutMeans(undefined);
    if (cut === 'none') return CUT_PHRASE.none;
    return this.parts.chargingSwitch && this.cabinetCutUsable() ? "cutting charging (every slot's switch and the whole cabinet's)" : cut === 'slot-switch' ? "cutting every slot's charging" : "cutting the whole cabinet's charging";
  }

  private flushCharging(): void {
    const { cabinet, log } = this.options;
    for (const [index, enabled] of this.pending) {
      if (this.writing.has(index)) continue;
      this.writing.add(index);
      cabinet
        .setCharging(index, enabled)
        .then(() => {
          // A newer decision may have replaced this one while it was on the wire.
          if (this.pending.get(index) === enabled) this.pending.delete(index);
          if (enabled) log.info({ slot: index + 1 }, 'slot charging restored');
          else log.warn({ slot: index + 1 }, 'slot charging cut');
        })
        .catch((err: unknown) => {
          if (!isUnsupported(err)) {
            log.warn({ slot: index + 1, enabled, err: String(err) }, `slot charging command failed: charging NOT ${enabled ? 'restored' : 'cut'}; retried on the next reading`);
            return;
          }
          this.pending.delete(index);
          this.slotCharging.delete(index);
          this.slotUnsupported.add(index);
          this.writing.delete(index);
          log.error({ slot: index + 1, enabled, err: String(err) }, `the cabinet has no charging switch for this slot (UNSUPPORTED): charging NOT ${enabled ? 'restored' : 'cut'}; not retried`);
          this.redecide();
        })
        .finally(() => this.writing.delete(index));
    }
    const enabled = this.cabinetPending;
    if (enabled === undefined || this.cabinetWriting) return;
    this.cabinetWriting = true;
    cabinet
      .setCabinetCharging(enabled)
      .then(() => {
        if (this.cabinetPending === enabled) this.cabinetPending = undefined;
        if (enabled) log.info('whole-cabinet charging restored');
        else log.warn('whole-cabinet charging cut');
      })
      .catch((err: unknown) => {
        if (!isUnsupported(err)) {
          log.warn({ enabled, err: String(err) }, `whole-cabinet charging command failed: charging NOT ${enabled ? 'restored' : 'cut'}; retried on the next reading`);
          return;
        }
        this.cabinetPending = undefined;
        this.cabinetUnsupported = true;
        this.cabinetWriting = false;
        log.error({ enabled, err: String(err) }, `the cabinet has no whole-cabinet charging cut (UNSUPPORTED): charging NOT ${enabled ? 'restored' : 'cut'}; not retried`);
        this.redecide();
      })
      .finally(() => {
        this.cabinetWriting = false;
      });
  }

  /** A means turned out unsupported: the next one is decided and written at once, not at the next poll. */
  private redecide(): void {
    if (!this.reading.online || this.reading.slots.length === 0) return;
    this.decideCharging();
    this.flushCharging();
  }
}

/** Who took a slot out of service, when, why. */
interface SlotOutRecord {
  since: string;
  by?: string;
  reason?: string;
}

const isSlotNumber = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

function readSlotRecord(entry: unknown): SlotOutRecord | undefined {
  if (!isRecord(entry) || typeof entry['since'] !== 'string' || Number.isNaN(Date.parse(entry['since']))) return undefined;
  const { by, reason } = entry;
  return { since: entry['since'], ...(typeof by === 'string' ? { by } : {}), ...(typeof reason === 'string' ? { reason } : {}) };
}

function isUnsupported(err: unknown): boolean {
  return err instanceof DeviceError && err.code === 'UNSUPPORTED';
}

/** The key a pack type is counted under in availability (`48V`, or `unknown` where the cabinet does not say). */
export const packKey = (packType: string | undefined): string => packType ?? 'unknown';
