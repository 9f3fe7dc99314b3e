import { commandTarget, instanceAddress } from '../../../device-drivers/modbus/command-target.js';
import { clamp, forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank, type MasterWrite } from '../register-bank.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * Battery-swap cabinet (devices.md §3), written through its profile: the group `slots`, the
 * commands `openSlotDoor` and `setCharging`. Batteries charge CC-CV: full current to 80 % SOC,
 * then a taper, so current falls as SOC rises; a slot turns ready at 100 %. The pack's BMS flags
 * over-temperature at 60 °C and clears it below 45 °C (the spec's alarm and release points); the
 * cabinet cuts that slot's charger itself while the flag is up, as real cabinets do.
 *
 * The model's methods take the slot's index (0-based: register block and coil order, the
 * position in `slots[]`); what it says to people (errors, snapshot `slot`) is the door number,
 * from 1, printed on the cabinet: slot = index + 1 (docs/decisions.md, "Slot numbers").
 */

const GROUP = 'slots';
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

export const SlotState = { empty: 0, charging: 1, ready: 2, fault: 3, disabled: 4 } as const;

/** Slot fault bits (devices.md §3, slot +6). */
export const SlotFault = { overTemperature: 1, overVoltage: 2, bmsLinkLost: 4, chargerFault: 8 } as const;
export type SlotFaultName = keyof typeof SlotFault;

export type CabinetFlag = 'mainsOk' | 'doorTamper' | 'smoke' | 'fanFault';

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
  tempPinned?: number;
  /** Faults raised by hand; over-temperature is also raised by the temperature itself. */
  forcedFaults: number;
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
  faults: SlotFaultName[];
  batteryId: number;
  packType: number;
  chargingEnabled: boolean;
}

export class BatteryCabinetModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  readonly slotCount: number;
  private readonly slots: Slot[];
  private readonly random: Random;
  private cabinetTemp: number;
  private readonly flags: Record<CabinetFlag, boolean> = { mainsOk: true, doorTamper: false, smoke: false, fanFault: false };

  constructor(options: DeviceModelOptions) {
    this.view = new ProfileView(this.bank, options.profile);
    if (!options.profile.groups[GROUP]) throw new Error(`profile ${options.profile.id} has no "${GROUP}" group`);
    this.random = mulberry32(options.seed ?? 1);
    this.slotCount = this.view.groupCount(GROUP, options.slots ?? 8);
    this.cabinetTemp = 22 + 4 * this.random();
    this.slots = initialSlots(this.slotCount, this.random);
    this.view.mapAddresses({ [GROUP]: this.slotCount });
    this.bank.onMasterWrite((write) => this.onMasterWrite(write));
    this.slots.forEach((_, i) => this.writeCommandCoil('setCharging', i, true));
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
    if (this.faultBits(slot) !== 0) return SlotState.fault;
    if (slot.battery.soc >= 100) return SlotState.ready;
    return slot.chargingEnabled ? SlotState.charging : SlotState.disabled;
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
    if (celsius !== undefined && slot.battery) slot.battery.temp = celsius;
    this.updateOverTemp(slot);
    this.publish();
  }

  setSlotFault(index: number, fault: SlotFaultName, on: boolean): void {
    const slot = this.slot(index);
    slot.forcedFaults = on ? slot.forcedFaults | SlotFault[fault] : slot.forcedFaults & ~SlotFault[fault];
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

  insertBattery(index: number, battery: { soc?: number; packType?: 48 | 60; id?: number } = {}): void {
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
    slot.overTemp = false;
    this.publish();
  }

  snapshot(): { flags: Record<CabinetFlag, boolean>; cabinetTemp: number; slots: SlotSnapshot[] } {
    return {
      flags: { ...this.flags },
      cabinetTemp: round(this.cabinetTemp, 1),
      slots: this.slots.map((slot, index) => ({
        slot: index + 1,
        slotIndex: index,
        state: stateName(this.slotState(index)),
        door: this.doorOpen(slot) ? 'open' : 'closed',
        doorJammed: slot.doorJammed,
        soc: slot.battery ? Math.floor(slot.battery.soc) : 0,
        batteryTemp: round(slot.battery ? slot.battery.temp : this.cabinetTemp, 1),
        temperaturePinned: slot.tempPinned !== undefined,
        faults: (Object.keys(SlotFault) as SlotFaultName[]).filter((f) => (this.faultBits(slot) & SlotFault[f]) !== 0),
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
      if (slot.tempPinned !== undefined) battery.temp = slot.tempPinned;
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
    v.set('status', { ...this.flags });
    v.set('cabinetTemp', round(this.cabinetTemp, 1));
    v.set('slotCount', this.slotCount);
    v.set('firmware', FIRMWARE);
    this.slots.forEach((slot, i) => {
      const battery = slot.battery;
      const current = this.current(i);
      v.setIn(GROUP, i, 'state', this.slotState(i));
      v.setIn(GROUP, i, 'door', this.doorOpen(slot) ? 1 : 0);
      v.setIn(GROUP, i, 'soc', battery ? Math.floor(battery.soc) : 0);
      v.setIn(GROUP, i, 'voltage', battery ? round(packVoltage(battery) + current * INTERNAL_RESISTANCE_OHM, 2) : 0);
      v.setIn(GROUP, i, 'current', round(current, 2));
      v.setIn(GROUP, i, 'batteryTemp', round(battery ? battery.temp : this.cabinetTemp, 1));
      v.setIn(GROUP, i, 'fault', this.faultBits(slot));
      v.setIn(GROUP, i, 'batteryId', battery?.id ?? 0);
      v.setIn(GROUP, i, 'packType', battery?.packType ?? 0);
    });
  }

  private onMasterWrite(write: MasterWrite): void {
    for (const hit of this.view.commandWrites(write)) {
      const slot = this.slots[hit.index];
      if (!slot) continue;
      if (hit.command === 'openSlotDoor' && hit.value !== 0) {
        if (!slot.doorJammed) slot.doorOpenMs = DOOR_OPEN_MIN_MS + Math.floor(this.random() * DOOR_OPEN_SPREAD_MS);
        // The cabinet consumes the pulse: reading the coil back gives 0 (devices.md §3).
        this.writeCommandCoil('openSlotDoor', hit.index, false);
      } else if (hit.command === 'setCharging') {
        slot.chargingEnabled = hit.value !== 0;
      }
    }
    this.publish();
  }

  private writeCommandCoil(command: string, index: number, on: boolean): void {
    const target = commandTarget(this.view.profile, command);
    if (target?.table === 'coil') this.bank.setBits('coil', instanceAddress(target, index), [on]);
  }
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
    const slot: Slot = { chargingEnabled: true, doorOpenMs: 0, doorHeld: false, doorJammed: false, forcedFaults: 0, overTemp: false };
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
