import type { PassProblem } from './pass-reader.js';
import { pickLanguage as pickConsoleLanguage } from '../i18n/locale.js';

/*
 * The phone page's words, Simplified Chinese and English. The page follows the browser's language
 * (navigator.language) until the worker picks one with the switch; the pick is remembered.
 */

export type { Lang } from '../i18n/locale.js';
import type { Lang } from '../i18n/locale.js';

export interface PhoneStrings {
  title: string;
  switchTo: string;
  offlineReady: string;
  offlineNotYet: string;
  keyHeading: string;
  keyHelp: string;
  keyNew: string;
  keyLocked: string;
  passHeading: string;
  noPass: string;
  passSaved: string;
  refused: Record<PassProblem, string>;
  worker: string;
  stations: string;
  groups: string;
  validFrom: string;
  validUntil: string;
  opens: string;
  expired: string;
  actions: readonly string[];
  anyResource: string;
  pasteLabel: string;
  pasteButton: string;
  openHeading: string;
  pickGrant: string;
  resourceLabel: string;
  stationLabel: string;
  showCode: string;
  holdToScanner: string;
  nextIn: (seconds: number) => string;
  atStation: (station: string) => string;
  anyStation: string;
  done: string;
  clockWrong: string;
  noEd25519: string;
  noStorage: string;
}

const en: PhoneStrings = {
  title: 'Station pass',
  switchTo: '中文',
  offlineReady: 'Ready: this page now works on this phone without signal.',
  offlineNotYet: 'Open this page once more with signal so that it works without.',
  keyHeading: "This phone's key",
  keyHelp: 'Show this to the enrolment desk: they issue your pass for it. The private key never leaves this browser.',
  keyNew: 'A new key was made on this phone.',
  keyLocked: 'The private key cannot be copied out of this browser.',
  passHeading: 'Your pass',
  noPass: 'No pass yet. Open the link you were sent, or paste it below.',
  passSaved: 'Pass saved on this phone.',
  refused: {
    'other-phone': "Refused: this pass was issued for another phone's key, not this one's. Ask for a pass for this phone's key (shown below).",
    unreadable: 'Refused: this is not a pass this page can read. Check that the whole link was copied.',
    'too-large': 'Refused: this pass is too large to fit in a code.',
    expired: 'Refused: this pass has expired. Ask for a new one.',
  },
  worker: 'Worker',
  stations: 'Stations',
  groups: 'Station groups',
  validFrom: 'Valid from',
  validUntil: 'Valid until',
  opens: 'Opens',
  expired: 'Expired',
  actions: ['Unlock', 'Swap battery', 'Dispense', 'Operate', 'Diagnose'],
  anyResource: 'any',
  pasteLabel: 'Paste a pass or its link',
  pasteButton: 'Save pass',
  openHeading: 'Open',
  pickGrant: 'What to open',
  resourceLabel: 'Which one (name on the station)',
  stationLabel: 'Station code (on the door; may stay empty)',
  showCode: 'Show code',
  holdToScanner: 'Hold the screen to the scanner.',
  nextIn: (s) => `New code in ${s} s`,
  atStation: (s) => `at station ${s}`,
  anyStation: 'at any station of the pass',
  done: 'Done',
  clockWrong: "This phone's clock looks wrong by more than a minute: set it to network time, or stations will refuse the code.",
  noEd25519: 'This browser cannot keep a key for this page (it needs Ed25519 in WebCrypto). Use an up-to-date Chrome, Safari or Firefox.',
  noStorage: 'This browser does not keep data for this page (a private window?). Open it in a normal window.',
};

const zh: PhoneStrings = {
  title: '站点通行证',
  switchTo: 'English',
  offlineReady: '已就绪：本机无信号时也能打开此页面。',
  offlineNotYet: '请在有信号时再打开一次此页面，之后无信号也能使用。',
  keyHeading: '本机密钥',
  keyHelp: '请向登记处出示此码，他们将据此为您签发通行证。私钥不会离开此浏览器。',
  keyNew: '已在本机生成新密钥。',
  keyLocked: '私钥无法从此浏览器中复制出来。',
  passHeading: '我的通行证',
  noPass: '还没有通行证。请打开收到的链接，或粘贴到下方。',
  passSaved: '通行证已保存在本机。',
  refused: {
    'other-phone': '已拒绝：此通行证是为另一部手机的密钥签发的，不是本机。请用本机密钥（见下方）申请通行证。',
    unreadable: '已拒绝：无法识别此通行证。请确认链接已完整复制。',
    'too-large': '已拒绝：此通行证太大，无法放入二维码。',
    expired: '已拒绝：此通行证已过期，请申请新的通行证。',
  },
  worker: '人员',
  stations: '站点',
  groups: '站点组',
  validFrom: '生效时间',
  validUntil: '有效期至',
  opens: '可开启',
  expired: '已过期',
  actions: ['开门', '换电', '取用', '操作', '诊断'],
  anyResource: '任意',
  pasteLabel: '粘贴通行证或其链接',
  pasteButton: '保存通行证',
  openHeading: '开启',
  pickGrant: '要开启的项目',
  resourceLabel: '名称（站点上的名称）',
  stationLabel: '站点编号（见门上，可不填）',
  showCode: '显示二维码',
  holdToScanner: '请将屏幕对准扫码器。',
  nextIn: (s) => `${s} 秒后更新`,
  atStation: (s) => `站点 ${s}`,
  anyStation: '通行证内任一站点',
  done: '完成',
  clockWrong: '本机时间似乎偏差超过一分钟：请设为自动网络时间，否则站点会拒绝二维码。',
  noEd25519: '此浏览器无法为本页面保存密钥（需要 WebCrypto 的 Ed25519）。请使用最新版 Chrome、Safari 或 Firefox。',
  noStorage: '此浏览器不为本页面保存数据（无痕模式？）。请在普通窗口中打开。',
};

export const STRINGS: Readonly<Record<Lang, PhoneStrings>> = { 'zh-CN': zh, en };

const STORAGE_KEY = 'station-phone.lang';

/** The console's rule (i18n/locale.ts), with English when the phone's languages name neither. */
export function pickLanguage(search: string, stored: string | null, browser: readonly string[]): Lang {
  return pickConsoleLanguage(search, stored, browser, 'en');
}

export function storedLanguage(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function rememberLanguage(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // A browser that keeps nothing still shows the switch's choice until the page closes.
  }
}
