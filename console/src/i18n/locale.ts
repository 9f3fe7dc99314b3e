/*
 * The console's language: Simplified Chinese first (the operators are in Zhejiang), English beside
 * it. The page follows the browser (navigator.languages) until the operator picks one with the
 * switch; the pick is remembered. Words live in one typed table per area (`<area>-text.ts`: a
 * `zh-CN` table and an `en` table of the same type, so a string missing in one language is a type
 * error); dates, numbers and durations are the browser's Intl, in the station's own time zone.
 */

export type Lang = 'zh-CN' | 'en';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];

/** One area's words in both languages; `en` must have exactly the shape of `zh-CN`. */
export type Texts<T> = Readonly<Record<Lang, T>>;

/**
 * `?lang=` first (a link may set it), then the stored pick, then the browser's languages, then
 * `fallback` (Chinese for the console, whose operators are in Zhejiang).
 */
export function pickLanguage(search: string, stored: string | null, browser: readonly string[], fallback: Lang = 'zh-CN'): Lang {
  const asked = new URLSearchParams(search).get('lang') ?? stored;
  if (asked === 'zh-CN' || asked === 'en') return asked;
  for (const l of browser) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return fallback;
}

/*
 * The page's globals, looked up where they are used: the words and pickLanguage are also read by
 * Node tests, which have neither a document nor localStorage.
 */
interface PageGlobals {
  document?: { documentElement: { lang: string } };
  localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}
const page = globalThis as PageGlobals;

let current: Lang = 'zh-CN';
const listeners = new Set<(lang: Lang) => void>();

export function lang(): Lang {
  return current;
}

/** The words of one area in the language in use now. */
export function words<T>(texts: Texts<T>): T {
  return texts[current];
}

/** Switches the language; views listening redraw themselves (nothing else is reloaded). */
export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  if (page.document) page.document.documentElement.lang = next;
  for (const l of listeners) l(next);
}

export function onLangChange(listener: (lang: Lang) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function storedLanguage(key: string): string | null {
  try {
    return page.localStorage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function rememberLanguage(key: string, next: Lang): void {
  try {
    page.localStorage?.setItem(key, next);
  } catch {
    // A browser that keeps nothing still shows the switch's choice until the page closes.
  }
}
