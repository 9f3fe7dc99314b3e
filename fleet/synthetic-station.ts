import type { Availability } from '../cloud-bridge/contract-schemas.js';
import type { DeviceState, Points } from '../device-drivers/device-state.js';
import { stationAvailability } from '../gateway/station/availability-rule.js';
import type { AlarmRaise } from '../cloud-bridge/contract-schemas.js';
import type { NewEvent } from '../gateway/store/event-outbox.js';
import type { Random } from '../simulators/modbus/seeded-random.js';
import type { StationFault } from './fleet-plan.js';
import { monotonicFactory } from 'ulid';

const SLOTS = 8;
type SlotState = 'empty' | 'charging' | 'ready' | 'fault' | 'disabled';

interface Slot {
  state: SlotState;
  soc: number;
  batteryTemp: number;
  packType: 48 | 60;
  batteryId: number;
}

/** Alarm rules of docs/device-protocols.md (60 °C slot, smoke) and simple thresholds for the rest. */
export interface AlarmCondition extends AlarmRaise {
  active: boolean;
}

/**
 * A station's devices as numbers that move: batteries charge and get swapped, water is drawn,
 * people come and go, doors open and close. A cheap stand-in for what DeviceMonitors would read
 * from hardware, for thousands of stations in one process; what is published is the gateway's
 * own bridge's business. A faulty station keeps its fault (smoke, an empty cabinet, heat).
 */
export class SyntheticStation {
  private readonly slots: Slot[] = [];
  private cabinetTemp = 24;
  private tankLevel = 80;
  private totalVolume = 0;
  private people = 0;
  private stillSeconds = 0;
  private doorOpen = false;
  /** Swap ids from the station's own seed: the same fleet makes the same ids at the same times. */
  private readonly swapIds: (seedTime: number) => string;

  constructor(
    private readonly random: Random,
    readonly fault: StationFault | undefined,
  ) {
    this.swapIds = monotonicFactory(random);
    for (let i = 0; i < SLOTS; i++) {
      const r = random();
      const state: SlotState = fault === 'no-batteries' ? (r < 0.5 ? 'empty' : 'charging') : r < 0.15 ? 'empty' : r < 0.55 ? 'charging' : 'ready';
      this.slots.push({
        state,
        soc: state === 'ready' ? 100 : state === 'charging' ? 20 + Math.round(random() * 60) : 0,
        batteryTemp: 26 + random() * 6,
        packType: random() < 0.7 ? 48 : 60,
        batteryId: 100_000 + Math.floor(random() * 900_000),
      });
    }
    if (fault === 'hot') {
      this.cabinetTemp = 52;
      const slot = this.slots[2] as Slot;
      Object.assign(slot, { state: 'fault', batteryTemp: 63.5, soc: slot.soc || 55 });
    }
    this.tankLevel = 40 + Math.round(random() * 60);
  }

  /** One step of `seconds`: what changed shows in the next states; returns the events it caused. */
  tick(seconds: number): NewEvent[] {
    const r = this.random;
    const events: NewEvent[] = [];
    for (const s of this.slots) {
      if (s.state !== 'charging') continue;
      s.soc = Math.min(100, s.soc + seconds * 0.4);
      if (s.soc >= 100 && this.fault !== 'no-batteries') s.state = 'ready';
      s.batteryTemp = 26 + (s.state === 'charging' ? 6 : 0) + r() * 2;
      if (this.fault === 'no-batteries') s.soc = Math.min(s.soc, 95);
    }
    if (r() < 0.08 * (seconds / 10)) {
      const ready = this.slots.findIndex((s) => s.state === 'ready');
      const empty = this.slots.findIndex((s) => s.state === 'empty');
      if (ready >= 0 && empty >= 0) {
        const out = this.slots[ready] as Slot;
        const into = this.slots[empty] as Slot;
        Object.assign(into, { state: 'charging', soc: 10 + Math.round(r() * 20), batteryId: 100_000 + Math.floor(r() * 900_000), packType: out.packType });
        Object.assign(out, { state: 'empty', soc: 0 });
        // Door numbers, from 1, as the gateway's swap.completed names them.
        // The id and pack key in the shapes the event catalogue gives them (a ULID, `48V`).
        const swapId = this.swapIds(Date.now());
        events.push({ type: 'swap.completed', device: 'cabinet-1', data: { swapId, returnedSlot: empty + 1, takenSlot: ready + 1, packType: `${out.packType}V` } });
      }
    }
    if (r() < 0.1 * (seconds / 10)) {
      const ml = 250 + Math.round(r() * 500);
      this.totalVolume += ml;
      this.tankLevel = Math.max(5, this.tankLevel - ml / 400);
      events.push({ type: 'water.dispensed', device: 'water-1', data: { ml } });
    }
    if (this.tankLevel < 15 && r() < 0.2) this.tankLevel = 100;
    const wasInside = this.people;
    if (r() < 0.1 * (seconds / 10)) this.people = this.people > 0 ? this.people - 1 : 1;
    this.stillSeconds = this.people > 0 ? this.stillSeconds + seconds : 0;
    if (wasInside !== this.people) {
      this.doorOpen = !this.doorOpen;
      events.push({ type: this.doorOpen ? 'door.opened' : 'door.closed', device: 'lock-1', data: { door: 1 } });
    }
    this.cabinetTemp = (this.fault === 'hot' ? 52 : 24) + r() * 1.5;
    return events;
  }

  points(): Record<string, Points> {
    const smoke = this.fault === 'critical';
    return {
      'lock-1': { doors: { '1': { bolt: 'locked', door: this.doorOpen ? 'open' : 'closed' } }, firmware: 'LK-REF 1.4.2' },
      'cabinet-1': {
        status: { mainsOk: true, doorTamper: false, smoke, fanFault: false },
        cabinetTemp: round(this.cabinetTemp, 1),
        slotCount: SLOTS,
        firmware: 7,
        slots: this.slots.map((s) => ({
          state: s.state,
          door: 'closed',
          soc: Math.round(s.soc),
          voltage: s.state === 'empty' ? 0 : round(s.packType * (0.9 + s.soc / 1000), 2),
          current: s.state === 'charging' ? 4.5 : 0,
          batteryTemp: s.state === 'empty' ? 0 : round(s.batteryTemp, 1),
          fault: { overTemperature: s.batteryTemp >= 60, overVoltage: false, bmsLinkLost: false, chargerFault: false },
          batteryId: s.state === 'empty' ? 0 : s.batteryId,
          packType: s.packType,
        })),
      },
      'water-1': {
        status: { supplyOk: true, leak: false, heaterOn: true, filterDue: false },
        hotTemp: 92,
        tankLevel: Math.round(this.tankLevel),
        filterLife: 60,
        totalVolume: this.totalVolume,
        session: 'idle',
        sessionVolume: 0,
      },
      'occupancy-1': { presence: this.people > 0 ? 1 : 0, people: this.people, stillSeconds: this.stillSeconds, sensorStatus: 'ok' },
    };
  }

  states(now: Date): Map<string, DeviceState> {
    const lastSeen = now.toISOString();
    const health = { lastSeen, errors: { TIMEOUT: 0, CRC: 0, CHECKSUM: 0, EXCEPTION: 0, DISCONNECTED: 0, PROTOCOL: 0, REFUSED: 0, UNSUPPORTED: 0, ENCODING: 0 }, latencyMs: 12 };
    return new Map(Object.entries(this.points()).map(([id, points]) => [id, { online: true, points, health }]));
  }

  /** The alarms a gateway's battery safety raises (gateway/station/cabinet-safety.ts), under its names; slots from 1. */
  alarms(): AlarmCondition[] {
    const hot = this.slots.map((s, index) => ({ slot: index + 1, s })).filter(({ s }) => s.batteryTemp >= 60);
    return [
      { alarm: 'cabinet.smoke', severity: 'critical', device: 'cabinet-1', active: this.fault === 'critical' },
      ...hot.map(({ slot, s }) => ({ alarm: `slot.overheat.${slot}`, severity: 'critical' as const, device: 'cabinet-1', detail: { slot, batteryTemp: round(s.batteryTemp, 1) }, active: true })),
    ];
  }

  /** What the gateway would publish: its own rule (availability-rule.ts) on this station's devices. */
  availability(): Availability {
    const smoke = this.fault === 'critical';
    const ready: Record<string, number> = { '48V': 0, '60V': 0 };
    // Battery safety locks every slot out while there is smoke, so none is offered.
    if (!smoke) for (const s of this.slots) if (s.state === 'ready') ready[`${s.packType}V`] = (ready[`${s.packType}V`] ?? 0) + 1;
    return stationAvailability({
      withinHours: true,
      doors: { inService: 1, online: true },
      cabinets: [{ smoke, ready }],
      water: [this.tankLevel > 10],
      occupancy: [this.people],
    });
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
