import { alarmWords, eventWords, severityWords, type CatalogueWords } from './catalogue-words.js';
import { lang } from './locale.js';

/*
 * The alarm and event catalogues (cloud-bridge/alarm-catalogue.ts, event-catalogue.ts) in the
 * language in use: a name, what it means, what to do. The words are in catalogue-words.ts (kept
 * free of the page's globals, so the test that every catalogue entry has both languages runs in Node).
 */

export { CATALOGUE_TEXT, type CatalogueWords } from './catalogue-words.js';

/** `slot.overheat.3` → { name: "3 号仓过热", meaning, action }; an unknown name is shown as it is, said so. */
export function alarmText(name: string): CatalogueWords {
  return alarmWords(lang(), name);
}

export function eventText(type: string): CatalogueWords {
  return eventWords(lang(), type);
}

export function severityText(severity: string): string {
  return severityWords(lang(), severity);
}
