import { describe, expect, it } from 'vitest';
import { ALARM_CATALOGUE, ALARM_SEVERITIES } from '../../cloud-bridge/alarm-catalogue.js';
import { EVENT_TYPES } from '../../cloud-bridge/event-catalogue.js';
import { alarmWords, CATALOGUE_TEXT, eventWords, severityWords } from '../../console/src/i18n/catalogue-words.js';
import { LANGS } from '../../console/src/i18n/locale.js';
const CJK = /[\u4e00-\u9fff]/;

describe('the alarm and event catalogues in words (zh-CN and en)', () => {
  it('gives every alarm of the catalogue a name, meaning and action in both languages', () => {
    for (const l of LANGS) {
      for (const entry of ALARM_CATALOGUE) {
        const instance = entry.name.replace('<n>', '4');
        const t = alarmWords(l, instance);
        expect(t.name, `${l} ${entry.name}`).not.toBe(instance);
        for (const s of [t.name, t.meaning, t.action]) expect(s.trim().length, `${l} ${entry.name}`).toBeGreaterThan(0);
        if (l === 'zh-CN') expect(t.name + t.meaning + t.action, entry.name).toMatch(CJK);
        else expect(t.name + t.meaning + t.action, entry.name).not.toMatch(CJK);
      }
      // Nothing extra either: words for an alarm the gateway no longer raises are a stale table.
      expect(Object.keys(CATALOGUE_TEXT[l].alarms).sort()).toEqual(ALARM_CATALOGUE.map((e) => e.name).sort());
    }
  });

  it('gives every event type a name, meaning and action in both languages', () => {
    for (const l of LANGS) {
      for (const type of EVENT_TYPES) {
        const t = eventWords(l, type);
        expect(t.name, `${l} ${type}`).not.toBe(type);
        for (const s of [t.name, t.meaning, t.action]) expect(s.trim().length, `${l} ${type}`).toBeGreaterThan(0);
        if (l === 'zh-CN') expect(t.name + t.meaning, type).toMatch(CJK);
      }
      expect(Object.keys(CATALOGUE_TEXT[l].events).sort()).toEqual([...EVENT_TYPES].sort());
    }
  });

  it('puts an instance number into the name of its pattern', () => {
    expect(alarmWords('zh-CN', 'slot.overheat.3').name).toBe('3 号仓过热');
    expect(alarmWords('en', 'slot.overheat.3').name).toBe('Slot 3 overheating');
    expect(alarmWords('en', 'slot.charging-not-cut.12').name).toBe('Slot 12 charging could not be cut');
    expect(alarmWords('zh-CN', 'door.forced').name).toBe('门被强行打开');
  });

  it('names every severity and says plainly what it does not know', () => {
    for (const l of LANGS) for (const s of ALARM_SEVERITIES) expect(severityWords(l, s), `${l} ${s}`).not.toBe(s);
    expect(severityWords('zh-CN', 'critical')).toBe('紧急');
    const unknown = alarmWords('zh-CN', 'pump.exploded');
    expect(unknown.name).toBe('pump.exploded');
    expect(unknown.meaning).toMatch(CJK);
    // A number after a name that is no pattern stays as it is.
    expect(alarmWords('zh-CN', 'door.forced.2').name).toBe('door.forced.2');
    expect(eventWords('zh-CN', 'swap.reversed').name).toBe('swap.reversed');
  });
});
