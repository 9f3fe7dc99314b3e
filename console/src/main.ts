import './style.css';
import { BrokerLink, type Credentials, type LinkState } from './broker-link.js';
import { connectForm } from './connect-form.js';
import { forgetCredentials, initialCredentials, rememberCredentials } from './credentials-store.js';
import { h } from './dom.js';
import { EventLog } from './event-log.js';
import { applyMessage, createFleet, parseTopic, type Fleet } from './fleet-model.js';
import { FleetView } from './fleet-view.js';
import { FrameScheduler } from './frame-scheduler.js';
import { MapView } from './map-view.js';
import { renderStation } from './station-view.js';

/** The composition root: one broker link, one fleet model, three views picked by the URL hash. */
const app = document.getElementById('app') as HTMLElement;
const linkState = h('span', { class: 'link', attrs: { id: 'link-state', 'data-state': 'closed' }, text: 'not connected' });
const disconnect = h('button', { text: 'Disconnect', attrs: { type: 'button', id: 'disconnect' } });
const main = h('main');
const listLink = h('a', { text: 'List', attrs: { href: '#/', id: 'nav-list' } });
const mapLink = h('a', { text: 'Map', attrs: { href: '#/map', id: 'nav-map' } });
app.append(h('header', {}, [h('h1', {}, [h('a', { text: 'Stations', attrs: { href: '#/' } })]), h('nav', { class: 'views' }, [listLink, mapLink]), linkState, disconnect]), main);

let credentials: Credentials | undefined;
let fleet: Fleet = createFleet();
let events: EventLog | undefined;
let stationDirty = false;
const scheduler = new FrameScheduler(draw);
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
    linkState.dataset['state'] = s.state;
    linkState.textContent = s.state === 'error' ? `error: ${s.message}` : s.state;
  },
});

function connect(c: Credentials): void {
  credentials = c;
  rememberCredentials(sessionStorage, c);
  fleet = createFleet(c.prefix);
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
    main.replaceChildren(connectForm(init.credentials, connect));
    return;
  }
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
    main.replaceChildren(renderStation(fleet.stations.get(id), id, events));
  }
}

function parseJson(payload: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
}

window.addEventListener('hashchange', route);
// "last heard" is relative: refresh what is on screen now and then, even when nothing arrives.
setInterval(() => {
  stationDirty = true;
  scheduler.request();
}, 5000);

const init = initialCredentials(location.search, sessionStorage);
if (init.autoConnect) connect(init.credentials);
else route();
