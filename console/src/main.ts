import './style.css';
import './chrome.css';
import { BrokerLink, type Credentials, type LinkState } from './broker-link.js';
import { connectForm, formValues } from './connect-form.js';
import { forgetCredentials, initialCredentials, rememberCredentials } from './credentials-store.js';
import { h } from './dom.js';
import { EventLog } from './event-log.js';
import { applyMessage, createFleet, parseTopic, type Fleet } from './fleet-model.js';
import { FleetView } from './fleet-view.js';
import { FrameScheduler } from './frame-scheduler.js';
import { CHROME_TEXT, otherLang } from './i18n/chrome-text.js';
import { lang, onLangChange, pickLanguage, rememberLanguage, setLang, storedLanguage, words } from './i18n/locale.js';
import { MapView } from './map-view.js';
import { StationView } from './station-view.js';
import { OperatorActions } from './operator/operator-actions.js';
import { OperatorIdentity } from './operator/operator-identity.js';
import { OperatorPanel } from './operator/operator-panel.js';

/** The composition root: one broker link, one fleet model, three views picked by the URL hash. */
const LANG_KEY = 'station-console.lang';
setLang(pickLanguage(location.search, storedLanguage(LANG_KEY), navigator.languages?.length ? navigator.languages : [navigator.language]));
// setLang does nothing when the pick is already the default; the page's own lang must still say it.
document.documentElement.lang = lang();

const app = document.getElementById('app') as HTMLElement;
const linkState = h('span', { class: 'link', attrs: { id: 'link-state', 'data-state': 'closed', role: 'status' } });
const disconnect = h('button', { attrs: { type: 'button', id: 'disconnect' } });
const langSwitch = h('button', { attrs: { type: 'button', id: 'lang-switch' } });
const main = h('main');
const titleLink = h('a', { attrs: { href: '#/' } });
const listLink = h('a', { attrs: { href: '#/', id: 'nav-list' } });
const mapLink = h('a', { attrs: { href: '#/map', id: 'nav-map' } });
const nav = h('nav', { class: 'views' }, [listLink, mapLink]);
const operatorSlot = h('div', { class: 'operator-slot' });
app.append(h('header', {}, [h('h1', {}, [titleLink]), nav, linkState, langSwitch, disconnect, operatorSlot]), main);
let lastState: LinkState = { state: 'closed' };

/** The header's words, and the switch offering the other language in that language. */
function drawChrome(): void {
  const t = words(CHROME_TEXT);
  document.title = t.pageTitle;
  titleLink.textContent = t.title;
  listLink.textContent = t.list;
  mapLink.textContent = t.map;
  nav.setAttribute('aria-label', t.nav);
  disconnect.textContent = t.disconnect;
  const to = otherLang(lang());
  langSwitch.textContent = t.switchTo;
  langSwitch.lang = to;
  langSwitch.dataset['lang'] = to;
  langSwitch.setAttribute('aria-label', t.switchLabel);
  drawLinkState();
}

function drawLinkState(): void {
  const t = words(CHROME_TEXT);
  const s = lastState;
  linkState.dataset['state'] = s.state;
  if ((s.state === 'error' || s.state === 'reconnecting') && s.reason) linkState.dataset['reason'] = s.reason;
  else delete linkState.dataset['reason'];
  if (s.state === 'error') {
    linkState.textContent = `${t.failed(t.reason[s.reason])}${s.detail ? t.detail(s.detail) : ''}${s.retrying ? ` · ${t.retrying}` : ''}`;
  } else if (s.state === 'no-stations') {
    linkState.textContent = t.noStations(s.prefix, s.seconds);
  } else if (s.state === 'reconnecting' && s.reason) {
    linkState.textContent = `${t.state.reconnecting} · ${t.reason[s.reason]}`;
  } else {
    linkState.textContent = t.state[s.state];
  }
}

langSwitch.addEventListener('click', () => {
  const next = otherLang(lang());
  rememberLanguage(LANG_KEY, next);
  // The operator's pick outlives a `?lang=` the link had (a reload would otherwise undo it).
  const search = new URLSearchParams(location.search);
  if (search.has('lang')) {
    search.delete('lang');
    history.replaceState(null, '', `${location.pathname}${search.size ? `?${search.toString()}` : ''}${location.hash}`);
  }
  setLang(next);
});

onLangChange(() => {
  drawChrome();
  panel?.draw();
  // The fleet and map views redraw themselves on the change; the station view and the form are redrawn here.
  const form = main.querySelector<HTMLFormElement>('#connect-form');
  if (form) main.replaceChildren(connectForm(formValues(form), connect));
  else {
    stationDirty = true;
    fleetView.invalidate();
    scheduler.request();
  }
});
drawChrome();

let credentials: Credentials | undefined;
/** What the form shows after a refused login, instead of what the URL or the tab had. */
let refill: Credentials | undefined;
let fleet: Fleet = createFleet();
let events: EventLog | undefined;
let stationDirty = false;
const scheduler = new FrameScheduler(draw);
const operator = new OperatorActions(
  { publish: (topic, payload) => link.publish(topic, payload), subscribe: (topic, on) => link.subscribe(topic, on), clientId: () => link.clientId() },
  () => credentials?.prefix ?? fleet.prefix,
);
const stationView = new StationView(operator);
let panel: OperatorPanel | undefined;
let fleetView = new FleetView(fleet, openStation, () => scheduler.request());
let mapView = new MapView(fleet, openStation, () => scheduler.request());

const link = new BrokerLink({
  message(topic, payload) {
    const t = parseTopic(fleet.prefix, topic);
    if (t?.kind === 'events') {
      if (events?.station === t.station && events.add(parseJson(payload))) stationDirty = true;
    } else {
      const changed = applyMessage(fleet, topic, payload);
      if (!changed) return;
      fleetView.invalidate();
      mapView.changed(changed);
      if (changed.id === selectedStation()) stationDirty = true;
    }
    scheduler.request();
  },
  state(s: LinkState) {
    lastState = s;
    drawLinkState();
    // A refused login is final (MQTT.js stops retrying): back to the form, the account kept, the
    // password not, with the reason still in the header.
    if (s.state === 'error' && !s.retrying && (s.reason === 'auth' || s.reason === 'broker') && credentials) {
      refill = { ...credentials, password: '' };
      credentials = undefined;
      forgetCredentials(sessionStorage);
      route();
    }
  },
});

function connect(c: Credentials): void {
  credentials = c;
  refill = undefined;
  rememberCredentials(sessionStorage, c);
  fleet = createFleet(c.prefix);
  fleetView.stop();
  mapView.stop();
  fleetView = new FleetView(fleet, openStation, () => scheduler.request());
  mapView = new MapView(fleet, openStation, () => scheduler.request());
  link.connect(c);
  route();
}

disconnect.addEventListener('click', () => {
  link.close();
  credentials = undefined;
  forgetCredentials(sessionStorage);
  route();
});

function openStation(id: string): void {
  location.hash = `#/station/${encodeURIComponent(id)}`;
}

function selectedStation(): string | undefined {
  const m = /^#\/station\/(.+)$/.exec(location.hash);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

function showingMap(): boolean {
  return location.hash === '#/map';
}

function route(): void {
  const id = selectedStation();
  const onMap = showingMap();
  // A station opened from the map is still "the fleet" for the List link: only the map is marked.
  for (const [a, on] of [[listLink, !onMap], [mapLink, onMap]] as const) {
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!credentials) {
    const init = initialCredentials(location.search, sessionStorage);
    main.replaceChildren(connectForm(refill ?? init.credentials, connect));
    return;
  }
  // The panel's times are also given in the zone of the station on screen.
  if (panel && !panel.element.contains(document.activeElement)) panel.draw();
  if (id && events?.station !== id) events = new EventLog(id);
  if (!id) events = undefined;
  link.watchEvents(id ? `${credentials.prefix}/${id}/events` : undefined);
  if (id) {
    stationDirty = true;
    main.replaceChildren();
  } else if (onMap) {
    main.replaceChildren(mapView.element);
  } else {
    main.replaceChildren(fleetView.element);
    fleetView.invalidate();
  }
  scheduler.request();
}

function draw(): void {
  const id = selectedStation();
  if (!credentials) return;
  if (showingMap()) mapView.draw();
  else if (id === undefined) fleetView.draw();
  else if (stationDirty) {
    stationDirty = false;
    // Drawn in place (focus and selection survive a message); inserted only when not on the page yet.
    const view = stationView.draw(fleet.stations.get(id), id, events);
    if (main.firstChild !== view || main.childNodes.length !== 1) main.replaceChildren(view);
  }
}

function parseJson(payload: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
}

// Not the panel: it is redrawn when its pass changes (take), not on each action's progress, which
// would throw away a pass being pasted.
operator.onChange(() => {
  stationDirty = true;
  scheduler.request();
});

/** The operator's key and pass from this browser's IndexedDB; a pass from a `#pass=` link. */
async function bootOperator(): Promise<void> {
  const zone = (): string | undefined => {
    const id = selectedStation();
    return id ? fleet.stations.get(id)?.timezone : undefined;
  };
  let identity: OperatorIdentity | Error;
  try {
    identity = await OperatorIdentity.open();
  } catch (err) {
    identity = err instanceof Error ? err : new Error(String(err));
  }
  panel = new OperatorPanel(identity, zone, selectedStation);
  operatorSlot.replaceChildren(panel.element);
  if (!(identity instanceof Error)) operator.setIdentity(identity);
  panel.draw();
  await takePassLink();
}

/** `#pass=…` (as the phone page's link), optionally `&station=<id>`: taken, then the fragment is the route. */
async function takePassLink(): Promise<void> {
  if (!/^#pass=/.test(location.hash) || !panel) return;
  const params = new URLSearchParams(location.hash.slice(1));
  const station = params.get('station');
  await panel.take(location.hash);
  history.replaceState(null, '', `${location.pathname}${location.search}${station ? `#/station/${encodeURIComponent(station)}` : '#/'}`);
  route();
}

window.addEventListener('hashchange', () => {
  if (/^#pass=/.test(location.hash)) void takePassLink();
  else route();
});
// "last heard" is relative: refresh what is on screen now and then, even when nothing arrives.
setInterval(() => {
  stationDirty = true;
  scheduler.request();
}, 5000);

const init = initialCredentials(location.search, sessionStorage);
if (init.autoConnect) connect(init.credentials);
else route();
void bootOperator();
