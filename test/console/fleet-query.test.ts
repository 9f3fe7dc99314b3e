import { describe, expect, it } from 'vitest';
import { applyMessage, createFleet, type Fleet } from '../../console/src/fleet-model.js';
import { DEFAULT_QUERY, queryFleet, sameSelection, stationStatus } from '../../console/src/fleet-query.js';
import { describeRow, type RowNames } from '../../console/src/fleet-row.js';
import { FLEET_TEXT } from '../../console/src/i18n/fleet-text.js';

const ts = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const BOOT = '01JR8Y3M2Q4K5N6P7R8S9T0V1W';
const birth = (s = 0) => JSON.stringify({ online: true, ts: ts(s), version: '1.0.0', bootId: BOOT, devices: [] });

function fleetOf(): Fleet {
  const fleet = createFleet();
  applyMessage(fleet, 'stations/hz-1/status', birth(1));
  applyMessage(fleet, 'stations/hz-1/alarms', JSON.stringify({ ts: ts(2), alarms: [{ alarm: 'slot.overheat.5', severity: 'critical', device: 'cabinet-1' }] }));
  applyMessage(fleet, 'stations/hz-2/status', birth(1));
  applyMessage(fleet, 'stations/hz-2/availability', JSON.stringify({ ts: ts(3), open: true, services: { batteries: { ready: { '48V': 3 } } } }));
  // Available and open when it was last heard, then its Last Will: offline since.
  applyMessage(fleet, 'stations/hz-3/status', birth(1));
  applyMessage(fleet, 'stations/hz-3/availability', JSON.stringify({ ts: ts(4), open: true, services: { batteries: { ready: { '48V': 2 } } } }));
  applyMessage(fleet, 'stations/hz-3/status', JSON.stringify({ online: false, bootId: BOOT }));
  return fleet;
}

/** The console's names of the two alarms used here (console/src/i18n/catalogue-text.ts, which needs a DOM). */
const ZH_ALARMS: Record<string, string> = { 'slot.overheat.5': '5 号仓过热' };
const zhAlarm = (code: string): string => ZH_ALARMS[code] ?? code;

const names = (lang: 'zh-CN' | 'en'): RowNames => ({
  alarm: (code) => (lang === 'zh-CN' ? zhAlarm(code) : code),
  severity: (s) => s,
  ago: (ms) => (ms === undefined ? '—' : `${Math.round((Date.parse(ts(64)) - ms) / 60_000)} min`),
});

describe('fleet query and rows', () => {
  it('finds a station by its alarm’s Chinese name as well as by the alarm code', () => {
    const fleet = fleetOf();
    const ids = (text: string) => queryFleet(fleet.stations.values(), { ...DEFAULT_QUERY, text }, zhAlarm).map((s) => s.id);
    expect(ids('过热')).toEqual(['hz-1']);
    expect(ids('slot.overheat')).toEqual(['hz-1']);
    expect(ids('cabinet-1')).toEqual(['hz-1']);
    expect(ids('没有这个')).toEqual([]);
    // Without a namer, only codes and ids match, as before.
    expect(queryFleet(fleet.stations.values(), { ...DEFAULT_QUERY, text: '过热' }).map((s) => s.id)).toEqual([]);
  });

  it('tells a new selection (the list starts at its top) from the same one re-run as data arrives', () => {
    expect(sameSelection(DEFAULT_QUERY, { ...DEFAULT_QUERY })).toBe(true);
    expect(sameSelection(DEFAULT_QUERY, { ...DEFAULT_QUERY, text: '  ' })).toBe(true);
    expect(sameSelection(DEFAULT_QUERY, { ...DEFAULT_QUERY, text: 'hz' })).toBe(false);
    expect(sameSelection(DEFAULT_QUERY, { ...DEFAULT_QUERY, filter: 'offline' })).toBe(false);
    expect(sameSelection(DEFAULT_QUERY, { ...DEFAULT_QUERY, sort: 'id' })).toBe(false);
  });

  it('shows an offline station as offline with its age, and its availability only as what it said before', () => {
    const fleet = fleetOf();
    const off = fleet.stations.get('hz-3');
    if (!off) throw new Error('no hz-3');
    expect(stationStatus(off)).toBe('offline');
    const en = describeRow(off, FLEET_TEXT.en, names('en'));
    expect(en.status).toBe('offline');
    expect(en.statusText).toBe('offline · last heard 1 min');
    expect(en.stale).toBe(true);
    expect(en.availability).toBe('before going offline: open · 2 ready');
    const zh = describeRow(off, FLEET_TEXT['zh-CN'], names('zh-CN'));
    expect(zh.statusText).toBe('离线 · 最后上报 1 min');
    expect(zh.availability).toBe('离线前：营业中 · 可换电池 2 块');
  });

  it('says an online station’s status and worst alarm in words, in both languages', () => {
    const fleet = fleetOf();
    const hz1 = fleet.stations.get('hz-1');
    const hz2 = fleet.stations.get('hz-2');
    if (!hz1 || !hz2) throw new Error('missing');
    const zh = describeRow(hz1, FLEET_TEXT['zh-CN'], names('zh-CN'));
    expect(zh.statusText).toBe('在线');
    expect(zh.alarm).toEqual({ severity: 'critical', severityText: 'critical', name: '5 号仓过热', more: undefined });
    const en = describeRow(hz2, FLEET_TEXT.en, names('en'));
    expect(en.statusText).toBe('online');
    expect(en.alarm).toBeUndefined();
    expect(en.stale).toBe(false);
    expect(en.availability).toBe('open · 3 ready');
  });

  it('has every fleet word in both languages', () => {
    const keys = (o: object): string[] => Object.keys(o).sort();
    expect(keys(FLEET_TEXT.en)).toEqual(keys(FLEET_TEXT['zh-CN']));
    expect(FLEET_TEXT['zh-CN'].empty('abc')).toContain('没有匹配的站点');
    expect(FLEET_TEXT['zh-CN'].empty('abc')).toContain('abc');
  });
});
