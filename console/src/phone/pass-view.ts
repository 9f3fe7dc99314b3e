import { h } from '../dom.js';
import type { Grant, PassSummary } from './pass-reader.js';
import type { Lang, PhoneStrings } from './phone-i18n.js';

/** A grant in words: "Unlock main-door", "开门 main-door", "Dispense (any)". */
export function grantLabel(t: PhoneStrings, g: Grant): string {
  return `${t.actions[g.act] ?? `#${g.act}`} ${g.res ?? `(${t.anyResource})`}`;
}

/** Local time on the phone, in its language: the worker reads it, the station never does. */
export function localTime(lang: Lang, seconds: number): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(seconds * 1000));
}

/** What the pass says, as a definition list; data attributes carry the raw values for a test. */
export function passDetails(t: PhoneStrings, lang: Lang, pass: PassSummary, nowSeconds: number): HTMLElement {
  const expired = pass.exp <= nowSeconds;
  const row = (term: string, value: string, key: string): HTMLElement[] => [h('dt', { text: term }), h('dd', { text: value, attrs: { 'data-field': key } })];
  const rows = [
    ...row(t.worker, pass.sub, 'sub'),
    ...(pass.stations.length ? row(t.stations, pass.stations.join(', '), 'stations') : []),
    ...(pass.groups.length ? row(t.groups, pass.groups.join(', '), 'groups') : []),
    ...(pass.nbf > nowSeconds ? row(t.validFrom, localTime(lang, pass.nbf), 'nbf') : []),
    ...row(t.validUntil, expired ? `${localTime(lang, pass.exp)} (${t.expired})` : localTime(lang, pass.exp), 'exp'),
    ...row(t.opens, pass.grants.map((g) => grantLabel(t, g)).join(' · '), 'grants'),
  ];
  return h('dl', { class: 'pass', attrs: { id: 'pass-details', 'data-sub': pass.sub, 'data-exp': String(pass.exp), 'data-expired': String(expired) } }, rows);
}
