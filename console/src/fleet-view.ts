import { h } from './dom.js';
import type { Fleet, StationRecord } from './fleet-model.js';
import { countFleet, DEFAULT_QUERY, queryFleet, sameSelection, type FleetFilter, type FleetQuery, type SortKey } from './fleet-query.js';
import { describeRow } from './fleet-row.js';
import { alarmText, severityText } from './i18n/catalogue-text.js';
import { FLEET_TEXT } from './i18n/fleet-text.js';
import { ago } from './i18n/format.js';
import { onLangChange, words } from './i18n/locale.js';
import { VirtualList } from './virtual-list.js';

const FILTERS: readonly FleetFilter[] = ['all', 'offline', 'critical', 'no-batteries'];
const SORTS: readonly SortKey[] = ['alarm', 'status', 'batteries', 'heard', 'id'];
/** Re-filtering and sorting 12,000 stations costs milliseconds: do it at most this often while data streams in. */
const REQUERY_MS = 250;
/** Shapes beside the colours: a severity must be told apart in grey too. */
const SEVERITY_ICON: Record<string, string> = { critical: '▲', major: '◆', minor: '■', warning: '●' };

const alarmName = (code: string): string => alarmText(code).name;

/** The fleet list: counters, search, filters, sort, and a virtual list of stations. */
export class FleetView {
  private readonly stopWords: () => void;
  readonly element: HTMLElement;
  private readonly list: VirtualList<StationRecord>;
  private readonly counts: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly sort: HTMLSelectElement;
  private readonly filters: HTMLElement;
  private readonly head: HTMLElement;
  private readonly filterButtons = new Map<FleetFilter, HTMLButtonElement>();
  private query: FleetQuery = { ...DEFAULT_QUERY };
  /** The query the shown rows were selected with: when the next differs, the list starts at its top. */
  private shownQuery: FleetQuery | undefined;
  private queryDirty = true;
  private lastQuery = 0;
  private shown: StationRecord[] = [];

  constructor(
    private readonly fleet: Fleet,
    open: (id: string) => void,
    private readonly redraw: () => void,
  ) {
    this.list = new VirtualList<StationRecord>(renderRow, (s) => open(s.id));
    this.counts = h('p', { class: 'counts', attrs: { id: 'fleet-counts', 'aria-live': 'polite' } });
    this.empty = h('div', { class: 'fleet-empty', attrs: { id: 'fleet-empty', role: 'status' } });
    this.empty.hidden = true;
    this.search = h('input', { attrs: { type: 'search', id: 'fleet-search' } });
    this.search.addEventListener('input', () => this.change({ text: this.search.value }));
    this.filters = h('div', { class: 'filters', attrs: { role: 'group' } });
    for (const f of FILTERS) {
      const b = h('button', { attrs: { type: 'button', 'data-filter': f } });
      b.addEventListener('click', () => this.change({ filter: f }));
      this.filterButtons.set(f, b);
      this.filters.append(b);
    }
    this.sort = h('select', { attrs: { id: 'fleet-sort' } });
    for (const k of SORTS) this.sort.append(h('option', { attrs: { value: k } }));
    this.sort.value = this.query.sort;
    this.sort.addEventListener('change', () => this.change({ sort: this.sort.value as SortKey, descending: this.sort.value === 'heard' }));
    this.head = h('div', { class: 'vrow vhead', attrs: { 'aria-hidden': 'true' } });
    this.element = h('section', { class: 'fleet', attrs: { id: 'fleet' } }, [
      h('div', { class: 'toolbar' }, [this.search, this.sort]),
      this.filters,
      this.counts,
      this.head,
      this.empty,
      this.list.element,
    ]);
    this.drawWords();
    // The view lives as long as the page's connection; a language switch redraws words and rows.
    this.stopWords = onLangChange(() => {
      this.drawWords();
      this.queryDirty = true;
      this.lastQuery = 0;
      this.redraw();
    });
  }

  /** Stops following the language: the view is dropped (a new connection makes new views). */
  stop(): void {
    this.stopWords();
  }

  /** The fixed words: labels, filter and sort names, column heads. */
  private drawWords(): void {
    const t = words(FLEET_TEXT);
    this.search.placeholder = t.searchPlaceholder;
    this.search.setAttribute('aria-label', t.searchLabel);
    this.sort.setAttribute('aria-label', t.sortLabel);
    this.filters.setAttribute('aria-label', t.filterLabel);
    this.list.element.setAttribute('aria-label', t.listLabel);
    for (const [f, b] of this.filterButtons) b.textContent = t.filters[f];
    for (const o of this.sort.options) o.textContent = t.sorts[o.value as SortKey];
    this.head.replaceChildren(
      h('span', { text: '' }),
      h('span', { text: t.columns.station }),
      h('span', { text: t.columns.alarm }),
      h('span', { text: t.columns.availability }),
      h('span', { text: t.columns.heard }),
    );
  }

  private change(part: Partial<FleetQuery>): void {
    this.query = { ...this.query, ...part };
    this.queryDirty = true;
    this.lastQuery = 0;
    this.redraw();
  }

  /** Something in the fleet changed: the order or the filter result may have too. */
  invalidate(): void {
    this.queryDirty = true;
  }

  /** One frame's work: re-query when due (else ask for another frame), then draw what is in view. */
  draw(now = performance.now()): void {
    if (this.queryDirty) {
      if (now - this.lastQuery >= REQUERY_MS) {
        this.shown = queryFleet(this.fleet.stations.values(), this.query, alarmName);
        const newSelection = this.shownQuery !== undefined && !sameSelection(this.shownQuery, this.query);
        this.shownQuery = { ...this.query };
        this.queryDirty = false;
        this.lastQuery = now;
        this.list.setItems(this.shown, newSelection);
        this.drawCounts();
        return;
      }
      this.redraw();
    }
    this.list.render();
  }

  private drawCounts(): void {
    const t = words(FLEET_TEXT);
    const c = countFleet(this.fleet.stations.values());
    this.counts.textContent = t.counts({ ...c, shown: this.shown.length });
    this.counts.dataset['total'] = String(c.total);
    this.counts.dataset['shown'] = String(this.shown.length);
    this.counts.dataset['rows'] = String(this.list.renderedRows);
    this.counts.dataset['received'] = String(this.fleet.received);
    for (const [f, b] of this.filterButtons) b.setAttribute('aria-pressed', String(f === this.query.filter));
    this.drawEmpty(c.total);
  }

  /** An empty result says why, instead of a blank box. */
  private drawEmpty(total: number): void {
    const t = words(FLEET_TEXT);
    const text = this.query.text.trim();
    const isEmpty = this.shown.length === 0;
    this.empty.hidden = !isEmpty;
    this.list.element.hidden = isEmpty;
    if (!isEmpty) {
      this.empty.replaceChildren();
      return;
    }
    if (total === 0) this.empty.replaceChildren(h('p', { text: t.emptyFleet }));
    else if (text !== '') this.empty.replaceChildren(h('p', { class: 'empty-title', text: t.empty(text) }), h('p', { class: 'none', text: t.emptyHint }));
    else this.empty.replaceChildren(h('p', { class: 'empty-title', text: t.emptyFilter }));
  }
}

function renderRow(row: HTMLElement, s: StationRecord): void {
  const t = words(FLEET_TEXT);
  const r = describeRow(s, t, { alarm: alarmName, severity: severityText, ago: (ms) => ago(ms) });
  // Rows are reused while scrolling: replace the content whole, and keep the id on the row for tests.
  row.dataset['station'] = s.id;
  row.dataset['status'] = r.status;
  row.dataset['severity'] = s.worst ?? 'none';
  row.className = `vrow srow ${r.status}`;
  row.replaceChildren(
    // Filled for online, hollow for offline, a question mark for never heard: a shape, not only a colour.
    h('span', { class: `dot ${r.status}`, text: r.status === 'online' ? '●' : r.status === 'offline' ? '○' : '?', attrs: { 'aria-hidden': 'true' } }),
    h('span', { class: 'id' }, [h('b', { text: s.id }), h('small', { class: 'status-text', text: r.statusText })]),
    r.alarm
      ? h('span', { class: `alarm sev-${r.alarm.severity}`, attrs: { 'data-severity': r.alarm.severity } }, [
          h('span', { class: 'sev-icon', text: SEVERITY_ICON[r.alarm.severity] ?? '●', attrs: { 'aria-hidden': 'true' } }),
          ` ${r.alarm.severityText} · `,
          h('span', { class: 'alarm-name', text: r.alarm.name }),
          r.alarm.more ? h('small', { text: ` ${r.alarm.more}` }) : undefined,
        ])
      : h('span', { class: 'alarm none', text: words(FLEET_TEXT).noAlarms }),
    h('span', { class: r.stale ? 'avail stale' : 'avail', text: r.availability }),
    h('span', { class: 'heard', text: r.heard }),
  );
}
