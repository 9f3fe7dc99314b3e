import { describe, expect, it } from 'vitest';
import { EventLog } from '../../console/src/event-log.js';
import { applyMessage, createFleet, parseTopic } from '../../console/src/fleet-model.js';
import { countFleet, mapState, queryFleet, DEFAULT_QUERY } from '../../console/src/fleet-query.js';

const ts = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const birth = (s = 0) => JSON.stringify({ online: true, ts: ts(s), version: '1.0.0', bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W', devices: [{ id: 'cabinet-1', kind: 'battery-cabinet', model: 'CAB-REF' }] });
const cabinet = (states: string[]) => JSON.stringify({ ts: ts(5), online: true, kind: 'battery-cabinet', model: 'CAB-REF', points: { slots: states.map((state) => ({ state })) }, health: { lastSeen: ts(5), errors: {}, latencyMs: 3 } });

describe('the console fleet model (the contract read from the outside)', () => {
  it('reads only the contract topics under its prefix', () => {
    expect(parseTopic('stations', 'stations/a/status')).toEqual({ station: 'a', kind: 'status' });
    expect(parseTopic('stations', 'stations/a/devices/cabinet-1')).toEqual({ station: 'a', kind: 'device', device: 'cabinet-1' });
    expect(parseTopic('stations', 'stations/a/devices')).toBeUndefined();
    expect(parseTopic('stations', 'stations/a/cmd/unlock/x')).toBeUndefined();
    expect(parseTopic('stations', 'other/a/status')).toBeUndefined();
  });

  it('follows birth, Last Will, alarms (worst first), availability and device state', () => {
    const fleet = createFleet();
    applyMessage(fleet, 'stations/a/status', birth(1));
    const a = fleet.stations.get('a');
    expect(a?.online).toBe(true);
    expect(a?.lastHeard).toBe(Date.parse(ts(1)));
    applyMessage(fleet, 'stations/a/devices/cabinet-1', cabinet(['ready', 'charging', 'ready']));
    expect(a?.readyBatteries).toBe(2);
    applyMessage(fleet, 'stations/a/alarms', JSON.stringify({ ts: ts(6), alarms: [{ alarm: 'tank.low', severity: 'major' }, { alarm: 'cabinet.smoke', severity: 'critical' }] }));
    expect(a?.worst).toBe('critical');
    expect(a?.alarms.map((x) => x.alarm)).toEqual(['cabinet.smoke', 'tank.low']);
    // Published availability wins over counting slots.
    applyMessage(fleet, 'stations/a/availability', JSON.stringify({ ts: ts(7), open: true, services: { batteries: { ready: { '48V': 0, '60V': 0 } } } }));
    expect(a?.readyBatteries).toBe(0);
    // The Last Will has no ts: the station is offline, last heard stays at its last message.
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ online: false, bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W' }));
    expect(a?.online).toBe(false);
    expect(a?.lastHeard).toBe(Date.parse(ts(7)));
    // A cleared retained topic (empty payload) forgets that part.
    applyMessage(fleet, 'stations/a/alarms', '');
    expect(a?.worst).toBeUndefined();
  });

  it('takes the position from the birth, keeps it while offline, and colours the dot by state', () => {
    const fleet = createFleet();
    const at = { lat: 30.2741, lon: 120.1634 };
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ ...JSON.parse(birth(1)), location: at }));
    const a = fleet.stations.get('a');
    expect(a?.location).toEqual(at);
    if (!a) throw new Error('no station');
    expect(mapState(a)).toBe('ok');
    applyMessage(fleet, 'stations/a/alarms', JSON.stringify({ ts: ts(2), alarms: [{ alarm: 'cabinet.smoke', severity: 'critical' }] }));
    expect(mapState(a)).toBe('critical');
    // The Last Will carries the position too, so a console opened later still places the station.
    const fresh = createFleet();
    applyMessage(fresh, 'stations/a/status', JSON.stringify({ online: false, bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W', location: at }));
    expect(fresh.stations.get('a')?.location).toEqual(at);
    // A Will from a gateway older than the field has none: the dot stays where it was, drawn offline.
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ online: false, bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W' }));
    expect(a.location).toEqual(at);
    expect(mapState(a)).toBe('offline');
    // A birth without one means the station file no longer has one; a broken one is no position.
    applyMessage(fleet, 'stations/a/status', birth(3));
    expect(a.location).toBeUndefined();
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ ...JSON.parse(birth(4)), location: { lat: 95, lon: 120 } }));
    expect(a.location).toBeUndefined();
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ ...JSON.parse(birth(5)), location: { lat: '30', lon: 120 } }));
    expect(a.location).toBeUndefined();
  });

  it('keeps the station\'s time zone from its birth, through a Last Will, and refuses one Intl does not know', () => {
    const fleet = createFleet();
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ ...JSON.parse(birth(1)), timezone: 'Asia/Shanghai' }));
    const a = fleet.stations.get('a');
    expect(a?.timezone).toBe('Asia/Shanghai');
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ online: false, bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W' }));
    expect(a?.timezone).toBe('Asia/Shanghai');
    // A gateway older than the field: no zone, and the views fall back to their own.
    applyMessage(fleet, 'stations/a/status', birth(2));
    expect(a?.timezone).toBeUndefined();
    applyMessage(fleet, 'stations/a/status', JSON.stringify({ ...JSON.parse(birth(3)), timezone: 'Mars/Olympus' }));
    expect(a?.timezone).toBeUndefined();
  });

  it('counts a payload that is not a JSON object and goes on', () => {
    const fleet = createFleet();
    expect(applyMessage(fleet, 'stations/a/status', 'not json')).toBeUndefined();
    expect(applyMessage(fleet, 'stations/a/status', '[1]')).toBeUndefined();
    expect(fleet.malformed).toBe(2);
    expect(fleet.stations.size).toBe(0);
  });

  it('filters, searches and sorts the fleet', () => {
    const fleet = createFleet();
    for (const id of ['s1', 's2', 's3', 's4']) applyMessage(fleet, `stations/${id}/status`, birth());
    applyMessage(fleet, 'stations/s2/status', JSON.stringify({ online: false, bootId: 'x' }));
    applyMessage(fleet, 'stations/s3/alarms', JSON.stringify({ ts: ts(1), alarms: [{ alarm: 'slot.over-temperature', severity: 'critical', device: 'cabinet-1' }] }));
    applyMessage(fleet, 'stations/s4/devices/cabinet-1', cabinet(['charging', 'empty']));
    const ids = (q: Partial<typeof DEFAULT_QUERY>) => queryFleet(fleet.stations.values(), { ...DEFAULT_QUERY, ...q }).map((s) => s.id);
    expect(ids({ filter: 'offline' })).toEqual(['s2']);
    expect(ids({ filter: 'critical' })).toEqual(['s3']);
    expect(ids({ filter: 'no-batteries' })).toEqual(['s4']);
    expect(ids({ text: 'over-temp' })).toEqual(['s3']);
    expect(ids({ sort: 'alarm' })[0]).toBe('s3');
    expect(ids({ sort: 'status' })[0]).toBe('s2');
    expect(ids({ sort: 'id', descending: true })).toEqual(['s4', 's3', 's2', 's1']);
    expect(countFleet(fleet.stations.values())).toEqual({ total: 4, online: 3, offline: 1, critical: 1, noBatteries: 1 });
  });

  it('keeps a station\'s events newest first, once each (delivery is at least once), bounded', () => {
    const log = new EventLog('a', 2);
    const e = (id: string) => ({ id, ts: ts(1), type: 'door.opened', data: {} });
    expect(log.add(e('01A'))).toBe(true);
    expect(log.add(e('01A'))).toBe(false);
    expect(log.add({ nope: 1 })).toBe(false);
    log.add(e('01C'));
    log.add(e('01B'));
    expect(log.list().map((x) => x.id)).toEqual(['01C', '01B']);
  });
});
