import { describe, expect, it } from 'vitest';
import { CHROME_TEXT, otherLang } from '../../console/src/i18n/chrome-text.js';
import { pickLanguage } from '../../console/src/i18n/locale.js';

describe('console language pick', () => {
  it('takes ?lang= over the stored pick, the stored pick over the browser, and Chinese when nothing matches', () => {
    expect(pickLanguage('?lang=en', 'zh-CN', ['zh-CN'])).toBe('en');
    expect(pickLanguage('?url=ws://x&lang=zh-CN', 'en', ['en-US'])).toBe('zh-CN');
    expect(pickLanguage('', 'en', ['zh-CN'])).toBe('en');
    expect(pickLanguage('', null, ['en-GB', 'zh-CN'])).toBe('en');
    expect(pickLanguage('', null, ['zh-TW'])).toBe('zh-CN');
    expect(pickLanguage('', null, ['fr-FR', 'de'])).toBe('zh-CN');
    // Something else stored or asked for (an old value, a typo) falls through to the browser.
    expect(pickLanguage('?lang=de', 'jp', ['en'])).toBe('en');
  });

  it('offers the other language, named in that language', () => {
    expect(otherLang('zh-CN')).toBe('en');
    expect(otherLang('en')).toBe('zh-CN');
    expect(CHROME_TEXT['zh-CN'].switchTo).toBe('English');
    expect(CHROME_TEXT.en.switchTo).toBe('中文');
  });

  it('words every failure reason in both languages, the prefix named', () => {
    for (const l of ['zh-CN', 'en'] as const) {
      for (const why of Object.values(CHROME_TEXT[l].reason)) expect(why.length).toBeGreaterThan(5);
      expect(CHROME_TEXT[l].noStations('fleet-b', 5)).toContain('fleet-b/+/status');
    }
    expect(Object.keys(CHROME_TEXT.en.reason)).toEqual(Object.keys(CHROME_TEXT['zh-CN'].reason));
  });
});
