import './station/station.css';
import { h } from './dom.js';
import type { EventLog } from './event-log.js';
import type { StationRecord } from './fleet-model.js';
import { ago, num } from './i18n/format.js';
import { alarmList } from './station/alarm-list.js';
import { availabilityView } from './station/availability.js';
import { serviceSection } from './station/service-controls.js';
import { historySection } from './history/history-view.js';
import { deviceCard } from './station/device-card.js';
import { eventList } from './station/event-list.js';
import { morph } from './station/morph.js';
import { moment, t } from './station/phrases.js';
import type { OperatorActions } from './operator/operator-actions.js';
import { snapshotView } from './operator/snapshot-view.js';
import { registerStationControls, snapshotControl } from './operator/station-controls.js';
import { actionHandler, buildWith, stationContext as buildWithContext, type StationContext } from './operator/view-context.js';
import { words } from './i18n/locale.js';
import { OPERATOR_TEXT } from './i18n/operator-text.js';

export { alarmedDoors } from './station/cabinet-card.js';

type Status = 'online' | 'offline' | 'unknown';

/**
 * One station: status, alarms, services, each device drawn as what it is, the event stream. The
 * section is built afresh on every change but applied with `morph`, so what did not change stays
 * the same DOM: focus, a text selection and an opened `<details>` survive a new message.
 */
export class StationView {
  readonly element: HTMLElement = h('section', { class: 'station', attrs: { id: 'station' } });
  private shown: string | undefined;
  private context: StationContext | undefined;

  /** `actions`: the operator's, when the page has them; without, the view is read only. */
  constructor(private readonly actions?: OperatorActions) {
    if (!actions) return;
    registerStationControls();
    // One listener for every operator control: the view is morphed, so a listener put on a button
    // as it is built would be on a copy the page never shows.
    this.element.addEventListener('click', (e) => {
      const button = (e.target as Element | null)?.closest<HTMLElement>('button[data-action]');
      const name = button?.dataset['action'];
      if (!button || !name || button.hasAttribute('disabled') || !this.context) return;
      actionHandler(name)?.(button, this.context);
    });
  }

  /** Draws station `id` into `element` (the same element every time) and returns it. */
  draw(s: StationRecord | undefined, id: string, events: EventLog | undefined): HTMLElement {
    this.context = this.actions ? { stationId: id, zone: s?.timezone, resources: s?.resources, actions: this.actions } : undefined;
    const next = buildWith(this.context, () => build(s, id, events));
    if (this.shown !== id) {
      // Another station: nothing of the last one's page is worth keeping.
      this.shown = id;
      this.element.replaceChildren();
    }
    morph(this.element, next);
    refreshAges(this.element);
    return this.element;
  }
}

/** Ages ("3 分钟前") change with the clock, not with messages: rewritten where they stand. */
export function refreshAges(root: ParentNode, now = Date.now()): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-since]')) {
    const text = ago(Number(el.dataset['since']), now);
    if (el.textContent !== text) el.textContent = text;
  }
}

function build(s: StationRecord | undefined, id: string, events: EventLog | undefined): HTMLElement {
  const w = t();
  if (!s) return h('section', { class: 'station', attrs: { id: 'station', 'data-station': id, 'data-status': 'unknown' } }, [back(), h('h2', { text: id }), h('p', { text: w.nothingYet })]);
  const status: Status = s.online === true ? 'online' : s.online === false ? 'offline' : 'unknown';
  const zone = s.timezone;
  const offline = status === 'offline';
  return h('section', { class: `station${offline ? ' offline' : ''}`, attrs: { id: 'station', 'data-station': s.id, 'data-status': status } }, [
    back(),
    h('h2', {}, [h('span', { class: `dot ${status}`, text: status === 'online' ? '●' : '○', attrs: { 'aria-hidden': 'true' } }), ` ${s.id} `, h('small', { class: `status-text ${status}`, text: w.status[status] })]),
    offline ? h('p', { class: 'offline-banner', attrs: { role: 'status' } }, [h('span', { text: '⚠ ', attrs: { 'aria-hidden': 'true' } }), w.offlineBanner]) : undefined,
    h('p', { class: 'meta' }, [
      [s.version ? w.version(s.version) : undefined, s.bootId ? w.boot(s.bootId) : undefined].filter(Boolean).join(' · '),
      h('br'),
      `${w.lastHeard}${w.colon}`,
      ...(s.lastHeard !== undefined ? moment(s.lastHeard, zone) : ['—']),
      h('br'),
      zone ? w.zone(zone) : w.noZone,
      ' · ',
      s.location ? w.position(num(s.location.lat, 4), num(s.location.lon, 4)) : w.noPosition,
    ]),
    operatorSection(s.timezone),
    h('h3', { text: offline ? w.alarmsStale : w.alarms }),
    alarmList(s.alarms, zone, offline),
    h('h3', { text: w.availability }),
    availabilityView(s),
    serviceSection(s, zone),
    h('h3', { text: w.devices }),
    h('div', { class: 'devices' }, [...s.devices.values()].map((d) => deviceCard(d, s.alarms, s.online, zone, s.availability))),
    h('h3', { text: w.events }),
    eventList(events, zone),
    historySection(s.id, zone),
  ]);
}

/** The station-wide actions (a snapshot) and the last snapshot's reply, read as the cards are. */
function operatorSection(zone: string | undefined): HTMLElement | undefined {
  const control = snapshotControl();
  if (!control) return undefined;
  const ctx = buildWithContext();
  const state = ctx?.actions.state('snapshot')?.state;
  const snapshot = state?.phase === 'done' && state.reply.ok ? snapshotView(state.reply.result, zone) : undefined;
  return h('section', { class: 'operator-actions', attrs: { id: 'station-actions', 'data-key': 'operator-actions', 'aria-labelledby': 'station-actions-heading' } }, [
    h('h3', { text: words(OPERATOR_TEXT).actionsHeading, attrs: { id: 'station-actions-heading' } }),
    control,
    snapshot,
  ]);
}

function back(): HTMLElement {
  return h('a', { class: 'back', text: t().back, attrs: { href: '#/' } });
}
