import { clamp, forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank, type MasterWrite } from '../register-bank.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * Battery-swap cabinet (devices.md §3), written through its profile: the group `slots`, the
 * commands `openSlotDoor` and `setCharging`. Batteries charge CC-CV: full current to 80 % SOC,
 * then a taper, so current falls as SOC rises; a slot turns ready at 100 %.
 */

const GROUP = 'slots';
const FIRMWARE = 103;
const CAPACITY_AH = 20;
const CHARGE_CURRENT_A = 10;
const TAPER_FROM_SOC = 80;
const MIN_TAPER_CURRENT_A = 0.5;
const INTERNAL_RESISTANCE_OHM = 0.05;
const DOOR_PULSE_MS = 5000;

export const SlotState = { empty: 0, charging: 1, ready: 2, fault: 3, disabled: 4 } as const;

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
}

export class BatteryCabinetModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  readonly slotCount: number;
  private readonly slots: Slot[];
  private readonly random: Random;
  private cabinetTemp: number;

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
    if (slot.battery.soc >= 100) return SlotState.ready;
    return slot.chargingEnabled ? SlotState.charging : SlotState.disabled;
  }

  private step(seconds: number): void {
    this.cabinetTemp = clamp(this.cabinetTemp + ((24 - this.cabinetTemp) * seconds) / 600 + (this.random() - 0.5) * 0.05, 15, 35);
    this.slots.forEach((slot, i) => {
      if (slot.doorOpenMs > 0) slot.doorOpenMs = Math.max(0, slot.doorOpenMs - seconds * 1000);
      const battery = slot.battery;
      if (!battery) return;
      const current = this.current(i);
      battery.soc = Math.min(100, battery.soc + (current * seconds * 100) / (CAPACITY_AH * 3600));
      // The pack warms towards a few degrees above 26 °C with the charge current, with sensor noise.
      const target = 26 + 0.7 * current;
      battery.temp = clamp(battery.temp + ((target - battery.temp) * Math.min(1, seconds / 120)) + (this.random() - 0.5) * 0.1, 25, 35);
    });
  }

  private current(index: number): number {
    const battery = this.slots[index]?.battery;
    if (!battery || this.slotState(index) !== SlotState.charging) return 0;
    if (battery.soc < TAPER_FROM_SOC) return CHARGE_CURRENT_A;
    return Math.max(MIN_TAPER_CURRENT_A, (CHARGE_CURRENT_A * (100 - battery.soc)) / (100 - TAPER_FROM_SOC));
  }

  private publish(): void {
    const v = this.view;
    v.set('status', { mainsOk: true, doorTamper: false, smoke: false, fanFault: false });
    v.set('cabinetTemp', round(this.cabinetTemp, 1));
    v.set('slotCount', this.slotCount);
    v.set('firmware', FIRMWARE);
    this.slots.forEach((slot, i) => {
      const battery = slot.battery;
      const current = this.current(i);
      v.setIn(GROUP, i, 'state', this.slotState(i));
      v.setIn(GROUP, i, 'door', slot.doorOpenMs > 0 ? 1 : 0);
      v.setIn(GROUP, i, 'soc', battery ? Math.floor(battery.soc) : 0);
      v.setIn(GROUP, i, 'voltage', battery ? round(packVoltage(battery) + current * INTERNAL_RESISTANCE_OHM, 2) : 0);
      v.setIn(GROUP, i, 'current', round(current, 2));
      v.setIn(GROUP, i, 'batteryTemp', round(battery ? battery.temp : this.cabinetTemp, 1));
      v.setIn(GROUP, i, 'fault', 0);
      v.setIn(GROUP, i, 'batteryId', battery?.id ?? 0);
      v.setIn(GROUP, i, 'packType', battery?.packType ?? 0);
    });
  }

  private onMasterWrite(write: MasterWrite): void {
    for (const hit of this.view.commandWrites(write)) {
      const slot = this.slots[hit.index];
      if (!slot) continue;
      if (hit.command === 'openSlotDoor' && hit.value !== 0) {
        slot.doorOpenMs = DOOR_PULSE_MS;
        // The cabinet consumes the pulse: reading the coil back gives 0 (devices.md §3).
        this.writeCommandCoil('openSlotDoor', hit.index, false);
      } else if (hit.command === 'setCharging') {
        slot.chargingEnabled = hit.value !== 0;
      }
    }
    this.publish();
  }

  private writeCommandCoil(command: string, index: number, on: boolean): void {
    const spec = this.view.profile.commands[command];
    if (spec?.table === 'coil') this.bank.setBits('coil', spec.address + (spec.group ? index : 0), [on]);
  }
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
    const slot: Slot = { chargingEnabled: true, doorOpenMs: 0 };
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
