import { clamp, forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank, type MasterWrite } from '../register-bank.js';
import { RoleView, SimProfileError } from '../role-view.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * Battery-swap cabinet (devices.md §3), written through its profile's role bindings: the model
 * thinks in the capability contract's terms (slot state, door open, °C, %, battery id) and the
 * RoleView writes the vendor's codes, bits, scales and words, and reads master writes back as the
 * command roles openSlotDoor, setCharging and setCabinetCharging, whatever their shape. A
 * cabinet that lacks door sensors still has doors (a rider's battery goes in and out): they are
 * simply not reported; one that lacks per-slot charging switches charges whatever is inside
 * until a whole-cabinet cut, where the profile binds one. Points no role covers (voltage,
 * current, firmware, the slot count) are written by the reference names where the vendor's map
 * has them.
 *
 * Batteries charge CC-CV: full current to 80 % SOC, then a taper, so current falls as SOC
 * rises; a slot turns ready at 100 %. The pack's BMS flags over-temperature at 60 °C and clears
 * it below 45 °C (the spec's alarm and release points); the cabinet cuts that slot's charger
 * itself while the flag is up, as real cabinets do, whatever the profile lacks.
 *
 * The model's methods take the slot's index (0-based: register block and coil order, the
 * position in `slots[]`); what it says to people (errors, snapshot `slot`) is the door number,
 * from 1, printed on the cabinet: slot = index + 1 (docs/decisions.md, "Slot numbers").
 */

const DEFAULT_GROUP = 'slots';
const FIRMWARE = 103;
const CAPACITY_AH = 20;
const CHARGE_CURRENT_A = 10;
const TAPER_FROM_SOC = 80;
const MIN_TAPER_CURRENT_A = 0.5;
const INTERNAL_RESISTANCE_OHM = 0.05;
/** A pulsed door stays open while the worker swaps: a few seconds, drawn from the seed. */
const DOOR_OPEN_MIN_MS = 4000;
const DOOR_OPEN_SPREAD_MS = 3000;
const OVER_TEMP_SET_C = 60;
const OVER_TEMP_CLEAR_C = 45;
const MAX_TEMP_C = 150;

export const SlotState = { empty: 0, charging: 1, ready: 2, fault: 3, disabled: 4 } as const;

/** Slot fault bits (devices.md §3, slot +6). */
export const SlotFault = { overTemperature: 1, overVoltage: 2, bmsLinkLost: 4, chargerFault: 8 } as const;
export type SlotFaultName = keyof typeof SlotFault;

export type CabinetFlag = 'mainsOk' | 'doorTamper' | 'smoke' | 'fanFault';

/** The cabinet roles the flags play (role-catalogue.ts). */
const FLAG_ROLES: Record<CabinetFlag, string> = { mainsOk: 'mainsOk', doorTamper: 'tamper', smoke: 'smoke', fanFault: 'fanFault' };

interface Battery {
  id: number;
  packType: 48 | 60;
  soc: number;
  temp: number;
}

interface Slot {
  battery?: Battery;
  chargingEnabled: boolean;
  doorOpenMs: number;
  /** Held open by hand (`slot N door open`) until closed by hand. */
  doorHeld: boolean;
  doorJammed: boolean;
  /** A sensor reading pinned by a crew or a scenario, until released. */
  tempPinned?: number | undefined;
  /** The pack heating at a set rate (°C per minute), up to `until` where given, then held there. */
  heating?: { ratePerMin: number; until: number | undefined };
  /** Faults raised by hand; over-temperature is also raised by the temperature itself. */
  forcedFaults: number;
  /** Faults raised by hand by the vendor's own bit names (a fault word unlike the reference's). */
  vendorFaults: Set<string>;
  overTemp: boolean;
}

export interface SlotSnapshot {
  /** The door number, from 1, as printed on the cabinet and typed in commands. */
  slot: number;
  /** The position in the register map and in `slots[]`, from 0 (slot - 1). */
  slotIndex: number;
  state: keyof typeof SlotState;
  door: 'open' | 'closed';
  doorJammed: boolean;
  soc: number;
  batteryTemp: number;
  temperaturePinned: boolean;
  /** °C per minute the pack is made to rise by (`slot N heat RATE`), 0 when it follows physics. */
  heatRate: number;
  faults: string[];
  batteryId: number;
  packType: number;
  chargingEnabled: boolean;
}

export class BatteryCabinetModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  readonly roles: RoleView;
  readonly slotCount: number;
  private readonly group: string;
  /** The whole-cabinet charging cut (setCabinetCharging), where the profile binds one. */
  private cabinetCharging = true;
  private readonly slots: Slot[];
  private readonly random: Random;
  private cabinetTemp: number;
  private readonly flags: Record<CabinetFlag, boolean> = { mainsOk: true, doorTamper: false, smoke: false, fanFault: false };

  constructor(options: DeviceModelOptions) {
    this.view = new ProfileView(this.bank, options.profile);
    this.roles = new RoleView(this.view);
    this.group = this.roles.slotGroup ?? DEFAULT_GROUP;
    if (!options.profile.groups[this.group]) throw new SimProfileError(`profile ${options.profile.id} has no "${this.group}" group`);
    this.roles.prepareStates();
    this.random = mulberry32(options.seed ?? 1);
    this.slotCount = this.view.groupCount(this.group, options.slots ?? 8);
    this.cabinetTemp = 22 + 4 * this.random();
    this.slots = initialSlots(this.slotCount, this.random);
    this.view.mapAddresses({ [this.group]: this.slotCount });
    this.bank.onMasterWrite((write) => this.onMasterWrite(write));
    this.slots.forEach((_, i) => this.roles.showCommand('setCharging', i, true));
    this.roles.showCommand('setCabinetCharging', 0, true);
    this.publish();
  }

  tick(dtMs: number): void {
    forEachStep(dtMs, (s) => this.step(s));
    this.publish();
  }

  /** The slot's state code as the cabinet reports it. */
  slotState(index: number): number {
    const slot = this.slots[index];
    if (!slot?.battery) return SlotState.empty;
    if (this.faultNames(slot).length > 0) return SlotState.fault;
    if (slot.battery.soc >= 100) return SlotState.ready;
    return slot.chargingEnabled && this.cabinetCharging ? SlotState.charging : SlotState.disabled;
  }

  setFlag(flag: CabinetFlag, on: boolean): void {
    this.flags[flag] = on;
    this.publish();
  }

  /**
   * Pins slot `index`'s battery temperature sensor at `celsius`; undefined lets physics take over
   * again. The sensor is the pack's (its BMS reports it), so an empty slot has nothing to pin:
   * refused, rather than answering as if a battery were hot and changing nothing.
   */
  setSlotTemperature(index: number, celsius: number | undefined): void {
    const slot = this.slot(index);
    if (celsius !== undefined && !(celsius >= -40 && celsius <= 150)) throw new RangeError(`temperature ${celsius} °C is not -40..150`);
    if (celsius !== undefined && !slot.battery) throw new Error(`slot ${index + 1} has no battery (insert one first: slot ${index + 1} insert)`);
    slot.tempPinned = celsius;
    delete slot.heating;
    if (celsius !== undefined && slot.battery) slot.battery.temp = celsius;
    this.updateOverTemp(slot);
    this.publish();
  }

  /**
   * Makes slot `index`'s pack heat up at `ratePerMin` °C per minute (thermal runaway's first
   * sign, for the station's rate-of-rise cut), up to `until` °C where given and held there;
   * undefined hands the temperature back to physics.
   */
  setSlotHeating(index: number, ratePerMin: number | undefined, until?: number): void {
    const slot = this.slot(index);
    if (ratePerMin === undefined) {
      delete slot.heating;
      this.publish();
      return;
    }
    // Thermal runaway itself climbs by degrees a second: up to 1000 °C/min lets a crew show it.
    if (!(ratePerMin > 0 && ratePerMin <= 1000)) throw new RangeError(`heating rate ${ratePerMin} °C/min is not above 0 and at most 1000`);
    if (until !== undefined && !(until >= -40 && until <= MAX_TEMP_C)) throw new RangeError(`temperature ${until} °C is not -40..${MAX_TEMP_C}`);
    if (!slot.battery) throw new Error(`slot ${index + 1} has no battery (insert one first: slot ${index + 1} insert)`);
    delete slot.tempPinned;
    slot.heating = { ratePerMin, until };
    this.publish();
  }

  /** A fault by the reference name, or by the vendor's own bit name in its fault word. */
  setSlotFault(index: number, fault: SlotFaultName | string, on: boolean): void {
    const slot = this.slot(index);
    if (fault in SlotFault) {
      const bit = SlotFault[fault as SlotFaultName];
      slot.forcedFaults = on ? slot.forcedFaults | bit : slot.forcedFaults & ~bit;
    } else if (this.roles.faultNames().includes(fault)) {
      if (on) slot.vendorFaults.add(fault);
      else slot.vendorFaults.delete(fault);
    } else throw new RangeError(`no fault "${fault}" (${[...Object.keys(SlotFault), ...this.roles.faultNames()].filter((f, i, a) => a.indexOf(f) === i).join(', ')})`);
    this.publish();
  }

  /** A jammed door stays shut when pulsed (the coil is consumed all the same). */
  setDoorJammed(index: number, jammed: boolean): void {
    this.slot(index).doorJammed = jammed;
    this.publish();
  }

  /** A worker holds the door open (open) or shuts it (close). */
  holdDoor(index: number, open: boolean): void {
    const slot = this.slot(index);
    slot.doorHeld = open;
    if (!open) slot.doorOpenMs = 0;
    this.publish();
  }

  insertBattery(index: number, battery: { soc?: number | undefined; packType?: 48 | 60 | undefined; id?: number | undefined } = {}): void {
    const slot = this.slot(index);
    if (slot.battery) throw new Error(`slot ${index + 1} already holds battery ${slot.battery.id}`);
    const soc = battery.soc ?? 10 + Math.floor(this.random() * 30);
    if (!(soc >= 0 && soc <= 100)) throw new RangeError(`soc ${soc} is not 0..100`);
    slot.battery = {
      id: battery.id ?? 1 + Math.floor(this.random() * 0xfffffffe),
      packType: battery.packType ?? (this.random() < 0.8 ? 48 : 60),
      soc,
      temp: slot.tempPinned ?? this.cabinetTemp + 2 + 3 * this.random(),
    };
    this.publish();
  }

  removeBattery(index: number): void {
    const slot = this.slot(index);
    if (!slot.battery) throw new Error(`slot ${index + 1} is empty`);
    delete slot.battery;
    delete slot.heating;
    slot.overTemp = false;
    this.publish();
  }

  snapshot(): { flags: Record<CabinetFlag, boolean>; cabinetTemp: number; cabinetCharging: boolean; slots: SlotSnapshot[] } {
    return {
      flags: { ...this.flags },
      cabinetTemp: round(this.cabinetTemp, 1),
      cabinetCharging: this.cabinetCharging,
      slots: this.slots.map((slot, index) => ({
        slot: index + 1,
        slotIndex: index,
        state: stateName(this.slotState(index)),
        door: this.doorOpen(slot) ? 'open' : 'closed',
        doorJammed: slot.doorJammed,
        soc: slot.battery ? Math.floor(slot.battery.soc) : 0,
        batteryTemp: round(slot.battery ? slot.battery.temp : this.cabinetTemp, 1),
        temperaturePinned: slot.tempPinned !== undefined,
        heatRate: slot.heating?.ratePerMin ?? 0,
        faults: this.faultNames(slot),
        batteryId: slot.battery?.id ?? 0,
        packType: slot.battery?.packType ?? 0,
        chargingEnabled: slot.chargingEnabled,
      })),
    };
  }

  private slot(index: number): Slot {
    const slot = Number.isInteger(index) ? this.slots[index] : undefined;
    if (!slot) throw new RangeError(`the cabinet has slots 1..${this.slotCount}, not ${index + 1}`);
    return slot;
  }

  private step(seconds: number): void {
    const fanCooling = this.flags.fanFault ? 0.3 : 1;
    this.cabinetTemp = clamp(this.cabinetTemp + ((24 - this.cabinetTemp) * seconds * fanCooling) / 600 + (this.random() - 0.5) * 0.05, 15, 35);
    this.slots.forEach((slot, i) => {
      if (slot.doorOpenMs > 0) slot.doorOpenMs = Math.max(0, slot.doorOpenMs - seconds * 1000);
      const battery = slot.battery;
      if (!battery) return;
      const current = this.current(i);
      battery.soc = Math.min(100, battery.soc + (current * seconds * 100) / (CAPACITY_AH * 3600));
      if (slot.heating) {
        const { ratePerMin, until } = slot.heating;
        battery.temp = Math.min(until ?? MAX_TEMP_C, MAX_TEMP_C, battery.temp + (ratePerMin * seconds) / 60);
      } else if (slot.tempPinned !== undefined) battery.temp = slot.tempPinned;
      else {
        // The pack warms towards a few degrees above 26 °C with the charge current, with sensor noise.
        const target = 26 + 0.7 * current;
        battery.temp = clamp(battery.temp + (target - battery.temp) * Math.min(1, seconds / 120) + (this.random() - 0.5) * 0.1, -20, 90);
      }
      this.updateOverTemp(slot);
    });
  }

  private updateOverTemp(slot: Slot): void {
    const temp = slot.battery?.temp;
    if (temp === undefined) slot.overTemp = false;
    else if (temp >= OVER_TEMP_SET_C) slot.overTemp = true;
    else if (temp < OVER_TEMP_CLEAR_C) slot.overTemp = false;
  }

  private faultBits(slot: Slot): number {
    return slot.battery ? slot.forcedFaults | (slot.overTemp ? SlotFault.overTemperature : 0) : 0;
  }

  /** Faults raised on a slot: the reference names, then the vendor's own. */
  private faultNames(slot: Slot): string[] {
    if (!slot.battery) return [];
    const bits = this.faultBits(slot);
    return [...(Object.keys(SlotFault) as SlotFaultName[]).filter((f) => (bits & SlotFault[f]) !== 0), ...slot.vendorFaults];
  }

  private doorOpen(slot: Slot): boolean {
    return slot.doorHeld || slot.doorOpenMs > 0;
  }

  private current(index: number): number {
    const battery = this.slots[index]?.battery;
    if (!battery || !this.flags.mainsOk || this.slotState(index) !== SlotState.charging) return 0;
    if (battery.soc < TAPER_FROM_SOC) return CHARGE_CURRENT_A;
    return Math.max(MIN_TAPER_CURRENT_A, (CHARGE_CURRENT_A * (100 - battery.soc)) / (100 - TAPER_FROM_SOC));
  }

  private publish(): void {
    const v = this.view;
    const r = this.roles;
    const g = this.group;
    const count = v.profile.groups[g]?.count;
    if (typeof count === 'string') v.set(count, this.slotCount);
    v.set('firmware', FIRMWARE);
    for (const [flag, role] of Object.entries(FLAG_ROLES) as Array<[CabinetFlag, string]>) r.setFlag(role, this.flags[flag]);
    r.setNumber('cabinetTemperature', round(this.cabinetTemp, 1));
    this.slots.forEach((slot, i) => {
      const battery = slot.battery;
      const current = this.current(i);
      v.setIn(g, i, 'voltage', battery ? round(packVoltage(battery) + current * INTERNAL_RESISTANCE_OHM, 2) : 0);
      v.setIn(g, i, 'current', round(current, 2));
      r.setState('state', stateName(this.slotState(i)), i);
      r.setFlag('present', battery !== undefined, i);
      r.setFlag('doorOpen', this.doorOpen(slot), i);
      r.setNumber('charge', battery ? Math.floor(battery.soc) : 0, i);
      r.setNumber('batteryTemperature', round(battery ? battery.temp : this.cabinetTemp, 1), i);
      // Over-temperature has a role of its own where bound, written after the fault word.
      r.setFaults('faults', this.faultNames(slot).filter((f) => f !== 'overTemperature' || !r.hasSlot('overTemperature')), i);
      r.setFlag('overTemperature', slot.overTemp && battery !== undefined, i);
      r.setId('batteryId', battery?.id ?? 0, i);
      r.setId('packType', battery?.packType ?? 0, i);
      r.setNumber('stateOfHealth', battery ? health(battery).soh : 0, i);
      r.setNumber('cycleCount', battery ? health(battery).cycles : 0, i);
      r.setNumber('cellVoltageSpread', battery ? health(battery).cellSpreadMv : 0, i);
    });
  }

  private onMasterWrite(write: MasterWrite): void {
    for (const hit of this.roles.decodeCommandWrite(write, this.slotCount)) {
      const slot = this.slots[hit.index];
      if (hit.role === 'setCabinetCharging') this.cabinetCharging = hit.on;
      if (!slot) continue;
      if (hit.role === 'openSlotDoor') {
        if (!slot.doorJammed) slot.doorOpenMs = DOOR_OPEN_MIN_MS + Math.floor(this.random() * DOOR_OPEN_SPREAD_MS);
        // The cabinet consumes the command: reading the target back gives its rest value (devices.md §3).
        this.roles.showCommand('openSlotDoor', hit.index, 'release');
      } else if (hit.role === 'setCharging') {
        slot.chargingEnabled = hit.on;
      }
    }
    this.publish();
  }
}

/**
 * GB 43854-2024 health figures, drawn from the battery's id rather than the seed's stream so
 * that adding them left every seed's device life as it was.
 */
function health(battery: Battery): { soh: number; cycles: number; cellSpreadMv: number } {
  const id = battery.id >>> 0;
  return { soh: 80 + (id % 21), cycles: (id >>> 5) % 1500, cellSpreadMv: 5 + ((id >>> 11) % 45) };
}

function stateName(code: number): keyof typeof SlotState {
  return (Object.entries(SlotState).find(([, c]) => c === code)?.[0] ?? 'fault') as keyof typeof SlotState;
}

/** Open-circuit voltage, linear in SOC: a 48 V pack reads about 44.6 V empty and 54.5 V full. */
function packVoltage(battery: Battery): number {
  return battery.packType * (0.93 + (0.205 * battery.soc) / 100);
}

/** A believable mix: about a quarter empty, a quarter ready, the rest charging; at least one of each from 3 slots. */
function initialSlots(count: number, random: Random): Slot[] {
  const kinds = Array.from({ length: count }, (_, i) => (i % 4 === 0 ? SlotState.charging : i % 4 === 1 ? SlotState.ready : i % 4 === 2 ? SlotState.empty : SlotState.charging));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] ?? SlotState.charging, kinds[i] ?? SlotState.charging];
  }
  return kinds.map((kind) => {
    const slot: Slot = { chargingEnabled: true, doorOpenMs: 0, doorHeld: false, doorJammed: false, forcedFaults: 0, vendorFaults: new Set(), overTemp: false };
    if (kind === SlotState.empty) return slot;
    slot.battery = {
      id: 1 + Math.floor(random() * 0xfffffffe),
      packType: random() < 0.8 ? 48 : 60,
      soc: kind === SlotState.ready ? 100 : 10 + Math.floor(random() * 80),
      temp: 27 + 6 * random(),
    };
    return slot;
  });
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
