import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alarmEntry } from '../../cloud-bridge/alarm-catalogue.js';
import { eventEntry } from '../../cloud-bridge/event-catalogue.js';
import { startVendorStation, type StationEvent, type VendorStation } from '../e2e/vendor-station.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The contract validates real traffic: a station of every device kind, run through the gateway's
 * composition root against the simulators, taken through a working day in a minute (a grant and a
 * refusal, a forced and held door, the exit button, a water draw, a battery swap, a stay, smoke,
 * a low tank). Every event it publishes on S/events is checked against the committed JSON Schema
 * of its type's data (ajv, in the harness) and the catalogue's zod schema; every alarm it raises
 * against the alarm catalogue's severities. The day must show each kind of event listed below, so
 * no check passes for want of traffic.
 */

let station: VendorStation;
const smokeClearBefore = process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'];
const since = (type: string, from: number): StationEvent | undefined => station.events.slice(from).find((e) => e.type === type);

beforeAll(async () => {
  process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'] = '500';
  station = await startVendorStation(
    'traffic-1',
    `resources:
  main-door: { device: lock-1, door: 1, unlockMs: 1000, heldOpenSeconds: 5 }
  cabinet-1: { device: cabinet-1 }
  water-1: { device: water-1 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial-tcp, host: 127.0.0.1, port: {port:lock} }, pollMs: 1000 }
  - { id: smoke-1, kind: smoke-detector, profile: smoke-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: {port:smoke}, unitId: 9 }, pollMs: 250 }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: {port:cabinet}, unitId: 1 }, pollMs: 250, offlineAfter: 3 }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: {port:water}, unitId: 2 }, pollMs: 250, offlineAfter: 3 }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: {port:occupancy}, unitId: 3 }, pollMs: 250, offlineAfter: 3 }
swap: { doorOpenSeconds: 1, insertSeconds: 10, takeSeconds: 10 }
water: { sessionIdleSeconds: 5 }
occupancy: { leftAfterSeconds: 0 }
`,
  );
  await station.sim.command('occupancy-1 wander off');
  await station.sim.command('occupancy-1 people 0');
  await station.sim.command('water-1 tank full');
  await waitFor(() => (station.devices.get('cabinet-1')?.points?.slots?.length ?? 0) > 1, 15_000, 'cabinet-1 read');
  // Slot 1 empty for the rider's battery, slot 2 a full 48 V pack to take; nothing else on offer.
  const cabinet = station.sim.device('cabinet-1').state() as unknown as { slots: Array<{ slot: number; state: string }> };
  for (const s of cabinet.slots) if (s.state !== 'empty') await station.sim.command(`cabinet-1 slot ${s.slot} remove`);
  await station.sim.command('cabinet-1 slot 2 insert 100 48');
}, 60_000);

afterAll(async () => {
  if (smokeClearBefore === undefined) delete process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'];
  else process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'] = smokeClearBefore;
  await station?.stop();
});

describe('a station\'s S/events against the event catalogue', () => {
  it('a working day of traffic', async () => {
    await waitFor(() => since('gateway.started', 0), 10_000, 'gateway.started');

    // Opened with nobody let in: forced; left open past heldOpenSeconds: held.
    let from = station.events.length;
    await station.sim.command('lock-1 door 1 open');
    await waitFor(() => since('door.held', from), 15_000, 'door.held');
    await station.sim.command('lock-1 door 1 close');
    await station.sim.command('lock-1 exit 1');
    await waitFor(() => since('exit.pressed', from) && since('door.closed', from), 10_000, 'door.closed and exit.pressed');
    expect(await station.request('unlock', 'main-door', 'worker-1')).toMatchObject({ ok: true });
    expect((await station.request('unlock', 'back-door', 'worker-1')).ok).toBe(false);
    await waitFor(() => since('access.denied', from), 10_000, 'access.denied');

    from = station.events.length;
    expect(await station.request('dispense', 'water-1', 'worker-1')).toMatchObject({ ok: true });
    await station.sim.command('water-1 session 150').catch(() => undefined);
    await station.event('water.dispensed', 'water-1', from, undefined, 40_000);

    from = station.events.length;
    expect(await station.request('swap', 'cabinet-1', 'rider-1')).toMatchObject({ ok: true, result: { slot: 1 } });
    await station.sim.command('cabinet-1 slot 1 insert 20 48');
    await station.sim.command('cabinet-1 slot 1 door close');
    const cabinetDoor = (slot: number): string | undefined =>
      (station.sim.device('cabinet-1').state() as unknown as { slots: Array<{ slot: number; door: string }> }).slots.find((s) => s.slot === slot)?.door;
    await waitFor(() => cabinetDoor(2) === 'open', 10_000, 'slot 2 opened for the rider');
    await station.sim.command('cabinet-1 slot 2 remove');
    await station.sim.command('cabinet-1 slot 2 door close');
    await station.event('swap.completed', 'cabinet-1', from);
    // No battery left to offer: the next swap is refused or aborts, either way on the record.
    await station.request('swap', 'cabinet-1', 'rider-2');

    from = station.events.length;
    await station.sim.command('occupancy-1 person enter');
    await waitFor(() => station.availability()?.services['occupancy']?.['inside'] === 1, 10_000, 'someone inside');
    await station.sim.command('occupancy-1 person leave');
    await station.event('occupancy.session', 'occupancy-1', from);

    from = station.events.length;
    await station.sim.command('smoke-1 smoke on');
    await waitFor(() => since('fire.started', from), 10_000, 'fire.started');
    await station.sim.command('smoke-1 smoke off');
    await waitFor(() => since('fire.ended', from), 10_000, 'fire.ended');

    await station.sim.command('water-1 tank 5');
    await waitFor(() => station.alarms().find((a) => a.alarm === 'water.tank-low'), 10_000, 'water.tank-low');
    await waitFor(() => station.events.some((e) => e.type === 'alarm.raised' && e.data['alarm'] === 'water.tank-low'), 10_000, 'alarm.raised water.tank-low');

    // The harness checked each event and alarm list against the committed JSON Schemas as it came.
    expect(station.violations).toEqual([]);
    // And against the catalogue's own zod schemas, which those were generated from.
    for (const e of station.events) {
      const entry = eventEntry(e.type);
      expect(entry, `${e.type} is in the event catalogue`).toBeDefined();
      const parsed = entry?.data.safeParse(e.data);
      expect(parsed?.success, `${e.type} ${JSON.stringify(e.data)}: ${parsed?.error?.message ?? ''}`).toBe(true);
      if (e.type === 'alarm.raised' || e.type === 'alarm.cleared') {
        const alarm = alarmEntry(String(e.data['alarm']));
        expect(alarm, `${String(e.data['alarm'])} is in the alarm catalogue`).toBeDefined();
        expect(alarm?.severities, `${String(e.data['alarm'])} raised as ${String(e.data['severity'])}`).toContain(e.data['severity']);
      }
    }
    for (const a of station.alarms()) expect(alarmEntry(a.alarm)?.severities, `${a.alarm} as ${a.severity}`).toContain(a.severity);

    const types = new Set(station.events.map((e) => e.type));
    const raised = new Set(station.events.filter((e) => e.type === 'alarm.raised').map((e) => String(e.data['alarm'])));
    // What the day must have shown, so the checks above ran on each.
    for (const t of ['gateway.started', 'device.online', 'access.granted', 'access.denied', 'door.opened', 'door.closed', 'exit.pressed', 'door.forced', 'door.held', 'water.dispensed', 'swap.started', 'swap.completed', 'occupancy.session', 'fire.started', 'fire.ended', 'alarm.raised', 'alarm.cleared']) {
      expect(types, `saw ${t}`).toContain(t);
    }
    for (const a of ['door.forced', 'door.held', 'station.smoke', 'water.tank-low']) expect(raised, `raised ${a}`).toContain(a);
  }, 120_000);
});
