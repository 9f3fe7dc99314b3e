import { h, svg } from './dom.js';
import type { Fleet, StationRecord } from './fleet-model.js';
import { mapState, type MapState } from './fleet-query.js';
import { boundsOf, fitProjection, MAP_FIT as FIT, nearestInDirection, sameBounds, type Direction, type Fit, type GeoBounds } from './geo-fit.js';
import { FLEET_TEXT } from './i18n/fleet-text.js';
import { onLangChange, words } from './i18n/locale.js';
/** Refitting moves every dot: while births stream in, do it at most this often. */
const LAYOUT_MS = 250;
/** Stations without a position are listed by name; past this many the fleet list is the better tool. */
const UNPLACED_SHOWN = 100;
const ARROWS: Record<string, Direction> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

interface Pin {
  circle: SVGCircleElement;
  title: SVGTitleElement;
  lat: number;
  lon: number;
  state: MapState | undefined;
}

/**
 * The stations that have a position as dots on an SVG plot, fitted to the fleet's bounding box.
 * One circle per station, created once and then only recoloured or moved: 12,000 stations are
 * 12,000 circles, not a rebuild per message. Changes are collected and drawn once per frame.
 */
export class MapView {
  private readonly stopWords: () => void;
  readonly element: HTMLElement;
  private readonly plot: SVGSVGElement;
  private readonly layer: SVGGElement;
  private readonly counts: HTMLElement;
  private readonly unplacedList: HTMLElement;
  private readonly pins = new Map<string, Pin>();
  private readonly unplaced = new Set<string>();
  /** Stations changed since the last draw; kept while the map is not shown. */
  private readonly dirty = new Set<string>();
  private bounds: GeoBounds | undefined;
  private fit: Fit | undefined;
  /** The bounds, the counts or the no-position list may have changed. */
  private layoutDirty = false;
  private lastLayout = 0;
  /** The dot that holds the plot's one Tab stop (a roving tabindex: 12,000 Tab stops would be none). */
  private current: string | undefined;
  private readonly legend: HTMLElement;

  constructor(
    private readonly fleet: Fleet,
    open: (id: string) => void,
    private readonly redraw: () => void,
  ) {
    this.layer = svg('g', { class: 'pins' });
    // A group, not an image: its dots are buttons a keyboard reaches.
    this.plot = svg('svg', { id: 'map-plot', role: 'group', preserveAspectRatio: 'xMidYMid meet' }, [this.layer]);
    this.plot.addEventListener('click', (e) => {
      const id = (e.target as Element).closest('[data-station]')?.getAttribute('data-station');
      if (id) open(id);
    });
    this.plot.addEventListener('keydown', (e) => {
      const id = (e.target as Element).closest('[data-station]')?.getAttribute('data-station');
      if (!id) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open(id);
        return;
      }
      const dir = ARROWS[e.key];
      if (!dir) return;
      e.preventDefault();
      this.moveFocus(id, dir);
    });
    this.counts = h('p', { class: 'counts', attrs: { id: 'map-counts', 'aria-live': 'polite' } });
    this.unplacedList = h('div', { class: 'unplaced', attrs: { id: 'map-unplaced' } });
    this.element = h('section', { class: 'map', attrs: { id: 'map' } }, [
      this.counts,
      h('div', { class: 'map-frame' }, [this.plot]),
      (this.legend = h('p', { class: 'legend' })),
      this.unplacedList,
    ]);
    for (const s of fleet.stations.values()) this.dirty.add(s.id);
    this.drawWords();
    this.stopWords = onLangChange(() => {
      this.drawWords();
      for (const [id, p] of this.pins) if (p.state) p.title.textContent = pinLabel(id, p.state);
      this.layoutDirty = true;
      this.lastLayout = 0;
      this.redraw();
    });
  }

  /** Stops following the language: the view is dropped (a new connection makes new views). */
  stop(): void {
    this.stopWords();
  }

  private drawWords(): void {
    const t = words(FLEET_TEXT);
    this.plot.setAttribute('aria-label', t.mapLabel);
    this.legend.replaceChildren(legendItem('ok', t.legend.ok), legendItem('critical', t.legend.critical), legendItem('offline', t.legend.offline));
  }

  /** Arrow keys: to the nearest dot that way; the Tab stop moves with the focus. */
  private moveFocus(from: string, dir: Direction): void {
    const at = this.pins.get(from);
    if (!at) return;
    const others = (function* (pins: Map<string, Pin>): Generator<[string, Pin]> {
      for (const [id, p] of pins) if (id !== from) yield [id, p];
    })(this.pins);
    const next = nearestInDirection(at, others, dir);
    if (next === undefined) return;
    this.setCurrent(next);
    this.pins.get(next)?.circle.focus();
  }

  private setCurrent(id: string | undefined): void {
    if (this.current === id) return;
    if (this.current) this.pins.get(this.current)?.circle.setAttribute('tabindex', '-1');
    this.current = id;
    if (id) this.pins.get(id)?.circle.setAttribute('tabindex', '0');
  }

  /** A station changed: its dot may move, recolour, appear or go. */
  changed(s: StationRecord): void {
    this.dirty.add(s.id);
  }

  /** One frame's work: update the dots of changed stations, refit when due (else ask for another frame). */
  draw(now = performance.now()): void {
    for (const id of this.dirty) this.update(id);
    this.dirty.clear();
    if (!this.layoutDirty) return;
    if (now - this.lastLayout < LAYOUT_MS) {
      this.redraw();
      return;
    }
    this.layoutDirty = false;
    this.lastLayout = now;
    this.layout();
    this.drawCounts();
  }

  private update(id: string): void {
    const s = this.fleet.stations.get(id);
    const pin = this.pins.get(id);
    const at = s?.location;
    if (!s || !at) {
      if (pin) {
        pin.circle.remove();
        this.pins.delete(id);
        if (this.current === id) this.setCurrent(this.pins.keys().next().value);
      }
      if (s) this.unplaced.add(id);
      this.layoutDirty = true;
      return;
    }
    if (this.unplaced.delete(id)) this.layoutDirty = true;
    let p = pin;
    if (!p) {
      const title = svg('title');
      p = { circle: svg('circle', { r: '5', 'data-station': id, role: 'button' }, [title]), title, lat: at.lat, lon: at.lon, state: undefined };
      this.pins.set(id, p);
      if (this.current === undefined) this.setCurrent(id);
      this.place(p);
      this.layoutDirty = true;
    } else if (p.lat !== at.lat || p.lon !== at.lon) {
      p.lat = at.lat;
      p.lon = at.lon;
      this.place(p);
      this.layoutDirty = true;
    }
    const state = mapState(s);
    if (state === p.state) return;
    p.state = state;
    p.circle.setAttribute('class', `pin ${state}`);
    p.circle.setAttribute('data-state', state);
    p.title.textContent = pinLabel(id, state);
    // Later children are drawn on top: stations that need someone stay above the healthy ones.
    if (state === 'ok') this.layer.prepend(p.circle);
    else this.layer.append(p.circle);
    this.layoutDirty = true;
  }

  private place(p: Pin): void {
    if (!this.fit) return;
    const { x, y } = this.fit.project(p);
    p.circle.setAttribute('cx', x.toFixed(1));
    p.circle.setAttribute('cy', y.toFixed(1));
  }

  /** Refits to the bounding box when it changed; dots placed since were placed on the current fit. */
  private layout(): void {
    const bounds = boundsOf(this.pins.values());
    if (sameBounds(bounds, this.bounds)) return;
    this.bounds = bounds;
    this.fit = bounds ? fitProjection(bounds, FIT) : undefined;
    const height = this.fit?.height ?? FIT.minHeight;
    this.plot.setAttribute('viewBox', `0 0 ${FIT.width} ${height.toFixed(1)}`);
    for (const p of this.pins.values()) this.place(p);
  }

  private drawCounts(): void {
    const by: Record<MapState, number> = { ok: 0, critical: 0, offline: 0 };
    for (const p of this.pins.values()) if (p.state) by[p.state]++;
    const t = words(FLEET_TEXT);
    this.counts.textContent = t.mapCounts({ placed: this.pins.size, offline: by.offline, critical: by.critical, unplaced: this.unplaced.size });
    this.counts.dataset['placed'] = String(this.pins.size);
    this.counts.dataset['unplaced'] = String(this.unplaced.size);
    const ids = [...this.unplaced].sort().slice(0, UNPLACED_SHOWN);
    const more = this.unplaced.size - ids.length;
    if (ids.length === 0) {
      this.unplacedList.replaceChildren();
      return;
    }
    const items = ids.map((id) => h('li', { attrs: { 'data-station': id } }, [h('a', { text: id, attrs: { href: `#/station/${encodeURIComponent(id)}` } })]));
    this.unplacedList.replaceChildren(
      h('h3', { text: t.noPosition(this.unplaced.size) }),
      h('ul', {}, items),
      ...(more > 0 ? [h('p', { class: 'none', text: t.moreUnplaced(more) })] : []),
    );
  }
}

function pinLabel(id: string, state: MapState): string {
  const t = words(FLEET_TEXT);
  return t.pinLabel(id, t.mapState[state]);
}

function legendItem(state: MapState, label: string): HTMLElement {
  return h('span', {}, [svg('svg', { viewBox: '0 0 12 12', 'aria-hidden': 'true' }, [svg('circle', { class: `pin ${state}`, cx: '6', cy: '6', r: '4.5' })]), ` ${label}`]);
}
