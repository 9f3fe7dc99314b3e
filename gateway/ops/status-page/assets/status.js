// The status page: renders the gateway's snapshot and follows it over Server-Sent Events.
// Values are set with textContent only: device data never becomes markup.
'use strict';

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function row(cells, className) {
  const tr = el('tr', undefined, className);
  for (const c of cells) tr.append(c instanceof Node ? c : el('td', c));
  return tr;
}

function badge(node, text, cls) {
  node.textContent = text;
  node.className = `badge ${cls}`;
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');

function renderDevices(devices) {
  const body = $('devices').tBodies[0];
  body.replaceChildren(
    ...devices.map((d) => {
      const state = el('td');
      state.append(el('span', d.online ? 'online' : 'offline', `badge ${d.online ? 'ok' : 'bad'}`));
      const tr = row([d.id, d.kind, d.model, state, d.latencyMs === null ? '—' : `${d.latencyMs} ms`, d.errors, time(d.lastSeen)]);
      tr.dataset.device = d.id;
      return tr;
    }),
  );
}

// Slots are labelled and matched to their alarms by door number (`slot`, from 1), the number on
// the cabinet and in `slot.overheat.<n>`; `slots[i]` is door i + 1 when a state lacks it.
const doorNumber = (s, i) => (Number.isInteger(s.slot) ? s.slot : i + 1);

function alarmedDoors(alarms, device) {
  const doors = new Set();
  for (const a of alarms) {
    const m = /^slot\.[a-z-]+\.(\d+)$/.exec(a.alarm);
    if (m && a.device === device) doors.add(Number(m[1]));
  }
  return doors;
}

function renderCabinets(devices, alarms) {
  const section = $('cabinets');
  const cabinets = devices.filter((d) => d.kind === 'battery-cabinet' && Array.isArray(d.points.slots));
  section.replaceChildren(
    ...cabinets.flatMap((d) => {
      const temp = typeof d.points.cabinetTemp === 'number' ? `, cabinet ${d.points.cabinetTemp} °C` : '';
      const grid = el('div', undefined, 'slots');
      grid.dataset.cabinet = d.id;
      const alarmed = alarmedDoors(alarms, d.id);
      d.points.slots.forEach((s, i) => {
        const door = doorNumber(s, i);
        const card = el('div', undefined, `slot${s.state === 'fault' ? ' bad' : ''}${alarmed.has(door) ? ' alarm' : ''}`);
        card.dataset.slot = String(door);
        card.append(el('b', `slot ${door}`), el('span', s.state));
        const bar = el('div', undefined, 'bar');
        const fill = el('span');
        fill.style.width = `${Math.max(0, Math.min(100, Number(s.soc) || 0))}%`;
        bar.append(fill);
        card.append(bar, el('span', `${s.soc ?? '—'} % · ${s.batteryTemp ?? '—'} °C`, 'charge'));
        grid.append(card);
      });
      return [el('h2', `${d.id}: slots${temp}`), grid];
    }),
  );
}

function renderAlarms(alarms) {
  const body = $('alarms').tBodies[0];
  if (alarms.length === 0) {
    body.replaceChildren(row(['none', '', '', '']));
    return;
  }
  body.replaceChildren(...alarms.map((a) => row([a.alarm, el('td', a.severity, a.severity), a.device ?? 'station', time(a.since)])));
}

function renderEvents(events) {
  const body = $('events').tBodies[0];
  body.replaceChildren(...events.map((e) => row([time(e.ts), e.type, e.device ?? ''])));
}

function render(s) {
  $('station').textContent = `Station ${s.station}`;
  document.title = `${s.station} status`;
  badge($('health'), s.health.ok ? 'gateway healthy' : `unhealthy: ${s.health.reasons.join('; ')}`, s.health.ok ? 'ok' : 'bad');
  badge($('cloud'), s.cloudConnected ? 'cloud connected' : 'cloud offline', s.cloudConnected ? 'ok' : 'bad');
  badge($('outbox'), `outbox ${s.outbox.pending} pending`, s.outbox.pending === 0 ? 'ok' : 'warning');
  $('updated').textContent = time(s.ts);
  $('updated').dateTime = s.ts;
  renderDevices(s.devices);
  renderCabinets(s.devices, s.alarms);
  renderAlarms(s.alarms);
  renderEvents(s.events);
}

function follow() {
  const source = new EventSource('api/stream');
  source.addEventListener('status', (m) => {
    badge($('live'), 'live', 'ok');
    render(JSON.parse(m.data));
  });
  // EventSource reconnects by itself (the server asks for 3 s); say so meanwhile.
  source.addEventListener('error', () => badge($('live'), 'reconnecting', 'off'));
}

follow();
