import './phone.css';
import { h } from '../dom.js';
import { toBase64url } from './base64url.js';
import { loadOrCreateKey, NoEd25519, signerFor, type PhoneKey } from './key-store.js';
import { readLinkText } from './pass-link.js';
import { PassRefused, type PassProblem } from './pass-reader.js';
import { acceptPass, loadPass, type CurrentPass } from './pass-store.js';
import { grantLabel, passDetails } from './pass-view.js';
import { openPhoneDb } from './phone-db.js';
import { pickLanguage, rememberLanguage, storedLanguage, STRINGS, type Lang } from './phone-i18n.js';
import { drawQr } from './qr-canvas.js';
import { RollingDisplay } from './rolling-display.js';
import { ScreenKeeper } from './wake-lock.js';

/*
 * The phone page's composition root: the key and the pass from IndexedDB, a pass or a station
 * from the link, the service worker for offline use, and the views. The whole page is drawn again
 * on every change but for the code view, which redraws itself every step.
 */

type Notice = { kind: 'saved' } | { kind: 'refused'; problem: PassProblem } | { kind: 'error'; message: string };

const STATION_KEY = 'station-phone.station';
const app = document.getElementById('phone') as HTMLElement;
const codeView = document.getElementById('code-view') as HTMLElement;

const state = {
  lang: pickLanguage(location.search, storedLanguage(), navigator.languages?.length ? navigator.languages : [navigator.language]) as Lang,
  key: undefined as PhoneKey | undefined,
  keyCreated: false,
  pass: undefined as CurrentPass | undefined,
  notice: undefined as Notice | undefined,
  offlineReady: false,
  grant: 0,
  res: '',
  station: readStoredStation(),
};
let db: IDBDatabase | undefined;
let booted = false;
let display: RollingDisplay | undefined;
const screen = new ScreenKeeper();

const t = () => STRINGS[state.lang];
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function boot(): Promise<void> {
  registerServiceWorker();
  try {
    db = await openPhoneDb();
  } catch (err) {
    return fail(t().noStorage, err);
  }
  try {
    const { key, created } = await loadOrCreateKey(db);
    state.key = key;
    state.keyCreated = created;
  } catch (err) {
    return fail(err instanceof NoEd25519 ? t().noEd25519 : t().noStorage, err);
  }
  state.pass = await loadPass(db, state.key.publicRaw);
  if (state.pass) state.grant = defaultGrant(state.pass);
  await takeLink(location.hash);
  booted = true;
  render();
}

/** A pass or a station from the fragment; the fragment is cleared so a reload does not take it again. */
async function takeLink(text: string): Promise<void> {
  if (!text || text === '#') return;
  const params = readLinkText(text);
  if (params.station !== undefined) setStation(params.station);
  if (params.passUnreadable) state.notice = { kind: 'refused', problem: 'unreadable' };
  if (params.pass) await savePass(params.pass);
  history.replaceState(null, '', location.pathname + location.search);
}

async function savePass(bytes: Uint8Array): Promise<void> {
  if (!db || !state.key) return;
  try {
    state.pass = await acceptPass(db, bytes, state.key.publicRaw);
    state.notice = { kind: 'saved' };
    state.grant = defaultGrant(state.pass);
  } catch (err) {
    state.notice = err instanceof PassRefused ? { kind: 'refused', problem: err.problem } : { kind: 'error', message: (err as Error).message };
  }
}

function defaultGrant(pass: CurrentPass): number {
  return Math.max(0, pass.summary.grants.findIndex((g) => g.act === 0));
}

function render(): void {
  const s = t();
  document.documentElement.lang = state.lang;
  document.title = s.title;
  const lang = h('button', { text: s.switchTo, attrs: { type: 'button', id: 'lang-switch', lang: state.lang === 'en' ? 'zh-CN' : 'en' } });
  lang.addEventListener('click', () => switchLanguage(state.lang === 'en' ? 'zh-CN' : 'en'));
  const offline = h('p', { class: 'offline', text: state.offlineReady ? s.offlineReady : s.offlineNotYet, attrs: { id: 'offline-state', 'data-ready': String(state.offlineReady) } });
  const sections = [passSection(), openSection(), pasteSection()];
  const key = keySection();
  // Without a pass the key is what the worker needs first: the desk issues the pass for it.
  app.replaceChildren(h('header', {}, [h('h1', { text: s.title }), lang]), offline, noticeView(), ...(state.pass ? [...sections, key] : [key, ...sections]));
}

function noticeView(): HTMLElement | string {
  const n = state.notice;
  if (!n) return '';
  const s = t();
  const text = n.kind === 'saved' ? s.passSaved : n.kind === 'refused' ? s.refused[n.problem] : n.message;
  return h('p', { class: `notice ${n.kind}`, text, attrs: { id: 'notice', role: 'status', 'data-kind': n.kind, ...(n.kind === 'refused' ? { 'data-problem': n.problem } : {}) } });
}

function passSection(): HTMLElement {
  const s = t();
  const pass = state.pass;
  const body = pass ? [passDetails(s, state.lang, pass.summary, nowSeconds())] : [h('p', { text: s.noPass, attrs: { id: 'no-pass' } })];
  // The pass was signed after the phone's clock says it received it: the clock is behind.
  if (pass && pass.receivedAt < pass.summary.iat * 1000 - 60_000) body.push(h('p', { class: 'notice error', text: s.clockWrong, attrs: { id: 'clock-warning' } }));
  return h('section', { attrs: { id: 'pass-section' } }, [h('h2', { text: s.passHeading }), ...body]);
}

function openSection(): HTMLElement | string {
  const pass = state.pass;
  if (!pass || pass.summary.exp <= nowSeconds()) return '';
  const s = t();
  const grants = pass.summary.grants.map((g, i) => {
    const input = h('input', { attrs: { type: 'radio', name: 'grant', value: `${g.act}:${g.res ?? ''}`, 'data-act': String(g.act), 'data-res': g.res ?? '' } });
    input.checked = i === state.grant;
    input.addEventListener('change', () => {
      state.grant = i;
      render();
    });
    return h('label', { class: 'grant' }, [input, ` ${grantLabel(s, g)}`]);
  });
  const chosen = pass.summary.grants[state.grant];
  const res = h('input', { attrs: { id: 'res-input', autocomplete: 'off', maxlength: '64' } });
  res.value = state.res;
  res.addEventListener('input', () => (state.res = res.value.trim()));
  const station = h('input', { attrs: { id: 'station-input', autocomplete: 'off', maxlength: '64', inputmode: 'text' } });
  station.value = state.station;
  station.addEventListener('change', () => setStation(station.value));
  const show = h('button', { text: s.showCode, class: 'primary', attrs: { type: 'button', id: 'show-code' } });
  show.addEventListener('click', () => showCode());
  return h('section', { attrs: { id: 'open-section' } }, [
    h('h2', { text: s.openHeading }),
    h('fieldset', {}, [h('legend', { text: s.pickGrant }), ...grants]),
    chosen?.res === null ? h('label', { class: 'field' }, [s.resourceLabel, res]) : '',
    h('label', { class: 'field' }, [s.stationLabel, station]),
    show,
  ]);
}

function pasteSection(): HTMLElement {
  const s = t();
  const input = h('textarea', { attrs: { id: 'pass-input', rows: '3', autocomplete: 'off', spellcheck: 'false' } });
  const save = h('button', { text: s.pasteButton, attrs: { type: 'button', id: 'pass-save' } });
  save.addEventListener('click', () => {
    const params = readLinkText(input.value);
    if (params.station !== undefined) setStation(params.station);
    if (!params.pass) {
      state.notice = { kind: 'refused', problem: 'unreadable' };
      render();
      return;
    }
    void savePass(params.pass).then(render);
  });
  return h('section', { attrs: { id: 'paste-section' } }, [h('label', { class: 'field' }, [s.pasteLabel, input]), save]);
}

function keySection(): HTMLElement {
  const s = t();
  const key = state.key;
  if (!key) return h('section', { attrs: { id: 'key-section' } });
  const text = toBase64url(key.publicRaw);
  const canvas = h('canvas', { attrs: { id: 'key-qr', 'aria-label': text } });
  drawQr(canvas, text, 220);
  return h('section', { attrs: { id: 'key-section', 'data-extractable': String(key.privateKey.extractable) } }, [
    h('h2', { text: s.keyHeading }),
    state.keyCreated ? h('p', { class: 'notice saved', text: s.keyNew }) : '',
    h('p', { text: s.keyHelp }),
    canvas,
    h('code', { text, attrs: { id: 'public-key', 'data-key': text } }),
    key.privateKey.extractable ? '' : h('p', { class: 'muted', text: s.keyLocked }),
  ]);
}

function showCode(): void {
  const pass = state.pass;
  const grant = pass?.summary.grants[state.grant];
  if (!pass || !grant || !state.key) return;
  const res = grant.res ?? state.res;
  if (!res) {
    document.getElementById('res-input')?.focus();
    return;
  }
  const s = t();
  const canvas = h('canvas', { attrs: { id: 'code-qr' } });
  const countdown = h('p', { class: 'countdown', attrs: { id: 'code-countdown' } });
  const bar = h('span');
  const done = h('button', { text: s.done, class: 'primary', attrs: { type: 'button', id: 'code-done' } });
  done.addEventListener('click', hideCode);
  const what = `${grantLabel(s, { act: grant.act, res })} · ${state.station ? s.atStation(state.station) : s.anyStation}`;
  codeView.replaceChildren(canvas, h('p', { class: 'what', text: what, attrs: { id: 'code-what' } }), countdown, h('div', { class: 'bar' }, [bar]), h('p', { text: s.holdToScanner }), done);
  codeView.hidden = false;
  app.hidden = true;
  codeView.dataset['act'] = String(grant.act);
  codeView.dataset['res'] = res;
  delete codeView.dataset['step'];
  display = new RollingDisplay(
    {
      root: codeView,
      canvas,
      countdown,
      bar,
      nextIn: s.nextIn,
      maxSize: () => Math.min(window.innerWidth, window.innerHeight * 0.7) - 16,
      onError: (err) => (countdown.textContent = (err as Error).message),
    },
    pass.bytes,
    { station: state.station, act: grant.act, res },
    signerFor(state.key),
  );
  display.start();
  screen.start();
}

function hideCode(): void {
  display?.stop();
  display = undefined;
  screen.stop();
  codeView.hidden = true;
  codeView.replaceChildren();
  app.hidden = false;
  render();
}

function switchLanguage(lang: Lang): void {
  state.lang = lang;
  rememberLanguage(lang);
  // The worker's pick outlives a `?lang=` the link had.
  const search = new URLSearchParams(location.search);
  if (search.has('lang')) {
    search.delete('lang');
    history.replaceState(null, '', location.pathname + (search.size ? `?${search.toString()}` : ''));
  }
  render();
}

function setStation(code: string): void {
  state.station = code.trim();
  try {
    localStorage.setItem(STATION_KEY, state.station);
  } catch {
    // Kept for this visit only.
  }
}

function readStoredStation(): string {
  try {
    return localStorage.getItem(STATION_KEY) ?? '';
  } catch {
    return '';
  }
}

function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  // Scope ./phone: the worker serves this page and its files, never the operator console beside it.
  navigator.serviceWorker
    .register('./phone-sw.js', { scope: './phone' })
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      state.offlineReady = true;
      if (booted && !display) render();
    })
    .catch(() => undefined);
}

function fail(message: string, err: unknown): void {
  app.replaceChildren(h('h1', { text: t().title }), h('p', { class: 'notice error', text: message, attrs: { id: 'notice', 'data-kind': 'error' } }), h('p', { class: 'muted', text: String((err as Error)?.message ?? err) }));
}

// A link opened while the page is open (boot reads the first one itself).
window.addEventListener('hashchange', () => {
  if (booted) void takeLink(location.hash).then(render);
});
void boot();
