import { h } from '../dom.js';
import type { EventLog, StationEvent } from '../event-log.js';
import { alarmText, eventText, severityText } from '../i18n/catalogue-text.js';
import { num, stationTime } from '../i18n/format.js';
import { detailSentence } from './alarm-list.js';
import { duration, isNum, pairs, rec, sentence, str, t, type Rec } from './phrases.js';

const soc = (v: unknown): string => (isNum(v) ? `${num(v)}%` : '—');

/** An event's data as a short sentence where the catalogue's fields allow, else `key: value` pairs. */
export function eventSentence(type: string, data: Rec): string {
  const w = t();
  const e = w.ev;
  const s = (k: string): string => str(data[k]) ?? '—';
  const worker = str(data['sub']) ? e.worker(String(data['sub'])) : undefined;
  switch (type) {
    case 'access.granted':
      return sentence([e.granted(s('sub'), s('act'), s('res'), s('via'))]);
    case 'access.denied':
      return sentence([e.denied(s('reason'), s('code'), s('via')), isNum(data['attempts']) && data['attempts'] > 1 ? e.attempts(num(data['attempts'])) : undefined, worker]);
    case 'door.opened':
    case 'door.closed':
    case 'exit.pressed':
    case 'door.forced':
      return sentence([w.door(s('door'))]);
    case 'door.held':
      return sentence([w.door(s('door')), isNum(data['seconds']) ? w.detail.seconds(duration(data['seconds'])) : undefined]);
    case 'swap.started':
      return sentence([e.swapStarted(s('emptySlot')), worker]);
    case 'swap.completed':
      return sentence([e.swapCompleted(s('returnedSlot'), soc(data['returnedSoc']), s('takenSlot'), soc(data['takenSoc'])), worker]);
    case 'swap.aborted':
      return sentence([e.swapAborted(e.abortReason[s('reason')] ?? s('reason'), s('emptySlot')), data['handedBack'] === true ? e.handedBack : undefined, worker]);
    case 'water.dispensed':
      return sentence([e.water(isNum(data['ml']) ? num(data['ml']) : '—'), worker]);
    case 'occupancy.session':
      return sentence([e.session(s('peakPeople'), isNum(data['seconds']) ? duration(data['seconds']) : '—')]);
    case 'alarm.raised':
      return [sentence([e.alarm(alarmText(s('alarm')).name, severityText(s('severity')))]), detailSentence(s('alarm'), isRecordOrUndefined(data['detail']))].filter(Boolean).join(' ');
    case 'alarm.cleared':
      return sentence([e.alarm(alarmText(s('alarm')).name, severityText(s('severity')))]);
    case 'device.online':
      return sentence([e.device(w.kind[s('kind')] ?? s('kind'), s('model'))]);
    case 'device.offline':
      return sentence([w.detail.code(s('code'))]);
    case 'gateway.started':
      return sentence([e.started(s('version'), str(data['bootCount']))]);
    case 'fire.started':
      return sentence([e.fire(Array.isArray(data['smokeAt']) ? data['smokeAt'].join(w.list) : '—', s('doors'))]);
    default:
      return pairs(data).join(w.clause);
  }
}

const isRecordOrUndefined = (v: unknown): Rec | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? rec(v) : undefined);

export function eventList(log: EventLog | undefined, zone: string | undefined): HTMLElement {
  const events = log?.list() ?? [];
  if (events.length === 0) return h('p', { class: 'none', attrs: { id: 'station-events' }, text: t().noEvents });
  return h('ol', { class: 'events', attrs: { id: 'station-events' } }, events.slice(0, 100).map((e) => eventItem(e, zone)));
}

function eventItem(e: StationEvent, zone: string | undefined): HTMLElement {
  const text = eventText(e.type);
  const said = eventSentence(e.type, rec(e.data));
  return h('li', { attrs: { 'data-key': e.id, 'data-type': e.type } }, [
    h('time', { text: stationTime(e.ts, zone, false), attrs: { datetime: e.ts } }),
    ' ',
    h('b', { text: text.name, title: text.meaning }),
    e.device ? h('span', { class: 'event-device', text: ` · ${e.device}` }) : undefined,
    said ? h('span', { class: 'event-data', text: ` ${said}` }) : undefined,
  ]);
}
