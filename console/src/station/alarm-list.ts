import type { Alarm } from '../../../cloud-bridge/contract-schemas.js';
import { h } from '../dom.js';
import { alarmText, severityText } from '../i18n/catalogue-text.js';
import { num } from '../i18n/format.js';
import { ackLine } from '../operator/station-controls.js';
import { duration, isNum, moment, pairs, sentence, str, t, type Rec } from './phrases.js';

/** Severity as a shape and a word, so it never rests on colour alone. */
const SEVERITY_ICON: Record<string, string> = { critical: '✖', major: '▲', minor: '◆', warning: '●' };

export function severityMark(severity: string): HTMLElement {
  return h('span', { class: `sev sev-${severity}` }, [h('span', { class: 'sev-icon', text: SEVERITY_ICON[severity] ?? '●', attrs: { 'aria-hidden': 'true' } }), ` ${severityText(severity)}`]);
}

/** Fields a sentence below already says, or that only repeat the catalogue's meaning. */
const SAID = new Set(['slot', 'batteryTemp', 'overTemperature', 'risePerMinute', 'windowSeconds', 'cut', 'batteryId', 'door', 'seconds', 'code', 'stillSeconds', 'people', 'tankLevel', 'usedBytes', 'maxBytes', 'prunedEvents', 'movedTo', 'reason']);
/** Alarms whose `message` only restates the catalogue; for the rest it says why (a cut that failed). */
const BOILERPLATE = /^(person\.still|station\.smoke|cabinet\.safety-unproven)$/;

/** An alarm's detail as a sentence in the language in use, from the fields the gateway sends. */
export function detailSentence(alarm: string, detail: Rec | undefined): string {
  if (!detail) return '';
  const w = t().detail;
  const d = detail;
  const mb = (v: unknown): string => (isNum(v) ? num(v / 1_048_576, 1) : '—');
  const parts: Array<string | undefined> = [
    isNum(d['slot']) ? w.slot(String(d['slot'])) : undefined,
    isNum(d['door']) ? w.door(String(d['door'])) : undefined,
    isNum(d['batteryTemp']) ? w.batteryTemp(num(d['batteryTemp'], 1)) : undefined,
    d['overTemperature'] === true ? w.overTemperature : undefined,
    isNum(d['risePerMinute']) ? w.risePerMinute(num(d['risePerMinute'], 1), isNum(d['windowSeconds']) ? num(d['windowSeconds']) : undefined) : undefined,
    typeof d['cut'] === 'string' ? (w.cut[d['cut']] ?? d['cut']) : undefined,
    isNum(d['seconds']) ? w.seconds(duration(d['seconds'])) : undefined,
    isNum(d['stillSeconds']) ? w.stillSeconds(duration(d['stillSeconds'])) : undefined,
    isNum(d['people']) ? w.people(num(d['people'])) : undefined,
    isNum(d['tankLevel']) ? w.tankLevel(num(d['tankLevel'])) : undefined,
    isNum(d['usedBytes']) ? w.used(mb(d['usedBytes']), mb(d['maxBytes'])) : undefined,
    isNum(d['prunedEvents']) && d['prunedEvents'] > 0 ? w.pruned(num(d['prunedEvents'])) : undefined,
    str(d['code']) ? w.code(String(d['code'])) : undefined,
    str(d['movedTo']) ? w.movedTo(String(d['movedTo'])) : undefined,
    str(d['reason']) ? w.reason(String(d['reason'])) : undefined,
    str(d['batteryId']) && d['batteryId'] !== 0 ? w.batteryId(String(d['batteryId'])) : undefined,
    str(d['message']) && !BOILERPLATE.test(alarm) ? w.message(String(d['message'])) : undefined,
    ...pairs(Object.fromEntries(Object.entries(d).filter(([k]) => !SAID.has(k) && k !== 'message'))),
  ];
  return sentence(parts);
}

export function alarmList(alarms: readonly Alarm[], zone: string | undefined, stale: boolean): HTMLElement {
  const w = t();
  if (alarms.length === 0) return h('p', { class: 'none', attrs: { id: 'station-alarms' }, text: w.noAlarms });
  return h(
    'ul',
    { class: `alarms${stale ? ' stale' : ''}`, attrs: { id: 'station-alarms' } },
    alarms.map((a) => {
      const text = alarmText(a.alarm);
      const since = a.since ? Date.parse(a.since) : NaN;
      const detail = detailSentence(a.alarm, a.detail);
      return h('li', { class: `alarm sev-${a.severity}`, attrs: { 'data-alarm': a.alarm, 'data-key': `${a.alarm} ${a.device ?? ''}` } }, [
        h('p', { class: 'alarm-head' }, [
          severityMark(a.severity),
          ' ',
          h('b', { class: 'alarm-name', text: text.name }),
          a.device ? h('span', { class: 'alarm-device', text: ` · ${a.device}` }) : undefined,
          h('code', { class: 'alarm-code', text: a.alarm }),
        ]),
        Number.isFinite(since) ? h('p', { class: 'alarm-since' }, [`${w.since} `, ...moment(since, zone)]) : undefined,
        detail ? h('p', { class: 'alarm-detail', text: detail }) : undefined,
        h('p', { class: 'alarm-meaning' }, [h('b', { text: `${w.meaning}${w.colon}` }), text.meaning]),
        h('p', { class: 'alarm-action' }, [h('b', { text: `${w.action}${w.colon}` }), text.action]),
        ...ackLine(a, zone),
      ]);
    }),
  );
}
