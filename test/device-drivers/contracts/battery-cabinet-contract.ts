import { afterEach, describe, expect, it } from 'vitest';
import type { Profile, RoleBinding } from '../../../config/profile-schema.js';
import type { BatteryCabinet, CabinetReading, SlotReading } from '../../../device-drivers/capabilities/capabilities.js';
import type { SlotState } from '../../../config/role-catalogue.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { BatteryCabinetModel, type SlotSnapshot } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { startModbusBench, type ModbusBench } from './modbus-bench.js';

/** The simulator a cabinet profile runs against: the project's cabinet model, following the profile. */
export type CabinetSimulator = (profile: Profile) => BatteryCabinetModel;

export const cabinetModel: CabinetSimulator = (profile) => new BatteryCabinetModel({ profile, slots: 6, seed: 7 });

type Bench = ModbusBench<BatteryCabinetModel, BatteryCabinet>;

/**
 * A vendor that has no code of its own for a state shows the nearest one it has (the simulator
 * writes that): a cabinet without a `charging` code shows charging batteries as ready, and so on.
 */
const NEAREST: Record<SlotState, readonly SlotState[]> = { empty: [], ready: [], charging: ['ready'], fault: ['disabled'], disabled: ['fault', 'charging'] };

function slotRole(profile: Profile, role: string): RoleBinding | undefined {
  const slots = profile.roles['slots'];
  return slots && typeof slots === 'object' && 'group' in slots ? (slots as Record<string, RoleBinding>)[role] : undefined;
}

function expectedState(profile: Profile, state: SlotState): SlotState {
  const binding = slotRole(profile, 'state');
  const map = binding && typeof binding === 'object' ? binding.map : undefined;
  if (!map || state in map) return state;
  return NEAREST[state].find((s) => s in map) ?? state;
}

async function rejection(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeviceError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

const slotOf = (reading: CabinetReading, index: number): SlotReading => {
  const slot = reading.slots[index];
  if (!slot) throw new Error(`the reading has no slot index ${index} (${reading.slots.length} slots)`);
  return slot;
};

/** Where the slot's battery temperature lands within the vendor's resolution. */
const near = (a: number | undefined, b: number, within = 0.6): boolean => a !== undefined && Math.abs(a - b) <= within;

/**
 * What every battery cabinet must do for the station logic, run on the real ModbusProfileDriver
 * over a Modbus TCP socket to the simulator of `profile`. Parts a profile declares lacking, and
 * optional roles it leaves out, are checked to read undefined and to refuse, never to pretend.
 */
export function batteryCabinetContract(profile: Profile, simulator: CabinetSimulator = cabinetModel): void {
  describe(`BatteryCabinet contract: ${profile.id} (${profile.vendor} ${profile.model})`, () => {
    let bench: Bench | undefined;
    const start = async (): Promise<Bench> => {
      bench = await startModbusBench<BatteryCabinetModel, BatteryCabinet>(profile, simulator(profile), 'battery-cabinet');
      return bench;
    };
    afterEach(async () => {
      await bench?.stop();
      bench = undefined;
    });

    it('declares its parts from the profile', async () => {
      const { capability: c } = await start();
      expect(c.kind).toBe('battery-cabinet');
      expect(c.parts.doorSensor).toBe(!profile.lacks.includes('doorSensor') && slotRole(profile, 'doorOpen') !== undefined);
      expect(c.parts.chargingSwitch).toBe(!profile.lacks.includes('chargingSwitch') && profile.roles['setCharging'] !== undefined);
      expect(c.parts.cabinetChargingCut).toBe(profile.roles['setCabinetCharging'] !== undefined);
      expect(c.parts.smokeSensor).toBe(profile.roles['smoke'] !== undefined);
      expect(c.parts.batteryIds).toBe(slotRole(profile, 'batteryId') !== undefined);
    });

    it('reads every slot as the simulator holds it, in the contract\'s terms', async () => {
      const b = await start();
      b.model.removeBattery(firstWith(b, (s) => s.state !== 'empty'));
      const reading = b.capability.reading(await b.state());
      const snap = b.model.snapshot();
      expect(reading.online).toBe(true);
      expect(reading.slots).toHaveLength(snap.slots.length);
      snap.slots.forEach((s, i) => {
        const r = slotOf(reading, i);
        expect(r.index, `slot ${s.slot}`).toBe(i);
        expect(r.slot).toBe(s.slot);
        expect(r.state, `slot ${s.slot} state`).toBe(expectedState(profile, s.state));
        expect(r.hasBattery, `slot ${s.slot} hasBattery`).toBe(s.state !== 'empty');
        expect(r.doorOpen, `slot ${s.slot} door`).toBe(b.capability.parts.doorSensor ? s.door === 'open' : undefined);
        if (slotRole(profile, 'charge') !== undefined) expect(r.charge, `slot ${s.slot} charge`).toBe(s.soc);
        else expect(r.charge).toBeUndefined();
        if (s.state !== 'empty') expect(near(r.batteryTemperature, s.batteryTemp), `slot ${s.slot}: ${r.batteryTemperature} °C read, ${s.batteryTemp} held`).toBe(true);
        expect(r.overTemperature).toBe(false);
        expect(r.faults).toEqual([]);
        if (!b.capability.parts.batteryIds || s.state === 'empty') expect(r.batteryId, `slot ${s.slot} id`).toBeUndefined();
        else expect(r.batteryId, `slot ${s.slot} id`).toBeTruthy();
      });
      expect(reading.smoke).toBe(b.capability.parts.smokeSensor ? false : undefined);
      if (profile.roles['mainsOk'] !== undefined) expect(reading.mainsOk).toBe(true);
      if (profile.roles['cabinetTemperature'] !== undefined) expect(near(reading.cabinetTemperature, snap.cabinetTemp)).toBe(true);
    });

    it('reads a returned battery: its id, pack type and charge', async () => {
      const b = await start();
      const i = firstWith(b, (s) => s.state === 'empty');
      b.model.insertBattery(i, { soc: 37, packType: 60, id: 0x12345678 });
      const r = slotOf(b.capability.reading(await b.state()), i);
      expect(r.hasBattery).toBe(true);
      expect(r.state).not.toBe('empty');
      if (slotRole(profile, 'charge') !== undefined) expect(r.charge).toBe(37);
      if (b.capability.parts.batteryIds && numericPoint(profile, 'batteryId')) expect(r.batteryId).toBe(String(0x12345678));
      if (slotRole(profile, 'packType') !== undefined && numericPoint(profile, 'packType')) expect(r.packType).toBe('60V');
    });

    it('reads an overheating pack: its temperature, the fault state and flags', async () => {
      const b = await start();
      const i = firstWith(b, (s) => s.state !== 'empty');
      b.model.setSlotTemperature(i, 61.5);
      const r = slotOf(b.capability.reading(await b.state()), i);
      expect(near(r.batteryTemperature, 61.5), `${r.batteryTemperature} °C`).toBe(true);
      expect(r.state).toBe(expectedState(profile, 'fault'));
      if (slotRole(profile, 'overTemperature') !== undefined) expect(r.overTemperature).toBe(true);
      if (slotRole(profile, 'faults') !== undefined) expect(r.faults.length).toBeGreaterThan(0);
    });

    it('reads smoke, mains, tamper and fan where the profile binds them, and undefined where not', async () => {
      const b = await start();
      b.model.setFlag('smoke', true);
      b.model.setFlag('mainsOk', false);
      b.model.setFlag('doorTamper', true);
      b.model.setFlag('fanFault', true);
      const reading = b.capability.reading(await b.state());
      const expected = (role: string, value: boolean): boolean | undefined => (profile.roles[role] !== undefined ? value : undefined);
      expect(reading).toMatchObject({ smoke: expected('smoke', true), mainsOk: expected('mainsOk', false), tamper: expected('tamper', true), fanFault: expected('fanFault', true) });
      b.model.setFlag('smoke', false);
      expect(b.capability.reading(await b.state()).smoke).toBe(expected('smoke', false));
    });

    it('openSlotDoor(index) opens that slot\'s door and no other', async () => {
      const b = await start();
      const i = firstWith(b, (s) => s.state !== 'empty' && s.slotIndex > 0);
      await b.capability.openSlotDoor(i);
      const snap = b.model.snapshot();
      expect(snap.slots.filter((s) => s.door === 'open').map((s) => s.slotIndex)).toEqual([i]);
      const reading = b.capability.reading(await b.state());
      expect(slotOf(reading, i).doorOpen).toBe(b.capability.parts.doorSensor ? true : undefined);
      expect(slotOf(reading, 0).doorOpen).toBe(b.capability.parts.doorSensor ? false : undefined);
    });

    it('setCharging(index, on) switches that slot where the cabinet has the switch, and refuses UNSUPPORTED writing nothing where not', async () => {
      const b = await start();
      const i = firstWith(b, (s) => s.state !== 'empty');
      if (!b.capability.parts.chargingSwitch) {
        const err = await rejection(b.capability.setCharging(i, false));
        expect(err.code).toBe('UNSUPPORTED');
        expect(b.writes).toEqual([]);
        return;
      }
      await b.capability.setCharging(i, false);
      expect(b.model.snapshot().slots.map((s) => s.chargingEnabled)).toEqual(b.model.snapshot().slots.map((s) => s.slotIndex !== i));
      await b.capability.setCharging(i, true);
      expect(b.model.snapshot().slots.every((s) => s.chargingEnabled)).toBe(true);
    });

    it('setCabinetCharging(on) cuts every slot where bound, and refuses UNSUPPORTED writing nothing where not', async () => {
      const b = await start();
      if (!b.capability.parts.cabinetChargingCut) {
        const err = await rejection(b.capability.setCabinetCharging(false));
        expect(err.code).toBe('UNSUPPORTED');
        expect(b.writes).toEqual([]);
        return;
      }
      const i = firstWith(b, (s) => s.state === 'charging');
      await b.capability.setCabinetCharging(false);
      expect(b.model.snapshot().slots[i]?.state).toBe('disabled');
      await b.capability.setCabinetCharging(true);
      expect(b.model.snapshot().slots[i]?.state).toBe('charging');
    });

    it('a slot the cabinet cannot have is refused UNSUPPORTED before anything is written', async () => {
      const b = await start();
      for (const index of [-1, 1.5, 1000]) expect((await rejection(b.capability.openSlotDoor(index))).code).toBe('UNSUPPORTED');
      expect(b.writes).toEqual([]);
    });

    it('reads an offline device as offline, and a poll without slots as no slots', async () => {
      const b = await start();
      const state = await b.state();
      expect(b.capability.reading({ ...state, online: false }).online).toBe(false);
      expect(b.capability.reading({ ...state, points: {} })).toMatchObject({ slots: [], smoke: undefined, cabinetTemperature: undefined });
    });
  });
}

function firstWith(b: Bench, test: (s: SlotSnapshot) => boolean): number {
  const slot = b.model.snapshot().slots.find(test);
  if (!slot) throw new Error('the simulated cabinet has no such slot; change its seed');
  return slot.slotIndex;
}

/** Whether the slot role reads a number point (the model's ids and pack types are numbers; a label point shows other text). */
function numericPoint(profile: Profile, role: string): boolean {
  const binding = slotRole(profile, role);
  const slots = profile.roles['slots'] as { group: string } | undefined;
  if (binding === undefined || !slots) return false;
  const ref = typeof binding === 'string' ? binding : (binding.point ?? binding.points?.[0]);
  const spec = ref ? profile.groups[slots.group]?.points[ref.split('.')[0]!] : undefined;
  return spec !== undefined && spec.type !== 'enum' && spec.type !== 'bits';
}
