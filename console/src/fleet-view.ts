import { ago, h } from './dom.js';
import type { Fleet, StationRecord } from './fleet-model.js';
import { countFleet, DEFAULT_QUERY, queryFleet, type FleetFilter, type FleetQuery, type SortKey } from './fleet-query.js';
import { VirtualList } from './virtual-list.js';

const FILTERS: Array<[FleetFilter, string]> = [
  ['all', 'All'],
  ['offline', 'Offline'],
  ['critical', 'Critical'],
  ['no-batteries', 'No ready batteries'],
];
const SORTS: Array<[SortKey, string]> = [
  ['alarm', 'Worst alarm'],
  ['status', 'Offline first'],
  ['batteries', 'Fewest batteries'],
  ['heard', 'Last heard'],
  ['id', 'Station id'],
];
/** Re-filtering and sorting 12,000 stations costs milliseconds: do it at most this often while data streams in. */
const REQUERY_MS = 250;

/** The fleet list: counters, search, filters, sort, and a virtual list of stations. */
export class FleetView {
  readonly element: HTMLElement;
  private readonly list: VirtualList<StationRecord>;
  private readonly counts: HTMLElement;
  private readonly filterButtons = new Map<FleetFilter, HTMLButtonElement>();
  private query: FleetQuery = { ...DEFAULT_QUERY };
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
    const search = h('input', { attrs: { type: 'search', placeholder: 'Search station or alarm', 'aria-label': 'Search', id: 'fleet-search' } });
    search.addEventListener('input', () => this.change({ text: search.value }));
    const filters = h('div', { class: 'filters', attrs: { role: 'group', 'aria-label': 'Filter' } });
    for (const [f, label] of FILTERS) {
      const b = h('button', { text: label, attrs: { type: 'button', 'data-filter': f } });
      b.addEventListener('click', () => this.change({ filter: f }));
      this.filterButtons.set(f, b);
      filters.append(b);
    }
    const sort = h('select', { attrs: { 'aria-label': 'Sort', id: 'fleet-sort' } });
    for (const [k, label] of SORTS) sort.append(h('option', { text: label, attrs: { value: k } }));
    sort.value = this.query.sort;
    sort.addEventListener('change', () => this.change({ sort: sort.value as SortKey, descending: sort.value === 'heard' }));
    this.element = h('section', { class: 'fleet', attrs: { id: 'fleet' } }, [
      h('div', { class: 'toolbar' }, [search, sort]),
      filters,
      this.counts,
      h('div', { class: 'vrow vhead', attrs: { 'aria-hidden': 'true' } }, [
        h('span', { text: '' }),
        h('span', { text: 'Station' }),
        h('span', { text: 'Worst alarm' }),
        h('span', { text: 'Availability' }),
        h('span', { text: 'Last heard' }),
      ]),
      this.list.element,
    ]);
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
        this.shown = queryFleet(this.fleet.stations.values(), this.query);
        this.queryDirty = false;
        this.lastQuery = now;
        this.list.setItems(this.shown);
        this.drawCounts();
        return;
      }
      this.redraw();
    }
    this.list.render();
  }

  private drawCounts(): void {
    const c = countFleet(this.fleet.stations.values());
    this.counts.textContent = `${c.total} stations · ${c.online} online · ${c.offline} offline · ${c.critical} critical · ${c.noBatteries} without ready batteries · showing ${this.shown.length}`;
    this.counts.dataset['total'] = String(c.total);
    this.counts.dataset['shown'] = String(this.shown.length);
    this.counts.dataset['rows'] = String(this.list.renderedRows);
    this.counts.dataset['received'] = String(this.fleet.received);
    for (const [f, b] of this.filterButtons) b.setAttribute('aria-pressed', String(f === this.query.filter));
  }
}

function renderRow(row: HTMLElement, s: StationRecord): void {
  const status = s.online === true ? 'online' : s.online === false ? 'offline' : 'unknown';
  const alarm = s.alarms[0];
  const ready = s.readyBatteries;
  const open = s.availability ? (s.availability.open ? 'open' : 'closed') : '';
  // Rows are reused while scrolling: replace the content whole, and keep the id on the row for tests.
  row.dataset['station'] = s.id;
  row.dataset['status'] = status;
  row.dataset['severity'] = s.worst ?? 'none';
  row.className = `vrow srow ${status}`;
  row.replaceChildren(
    h('span', { class: `dot ${status}`, title: status, text: status === 'online' ? '●' : '○' }),
    h('span', { class: 'id' }, [s.id, h('small', { class: 'status-text', text: status })]),
    alarm
      ? h('span', { class: `alarm sev-${alarm.severity}` }, [`${alarm.severity} ${alarm.alarm}`, s.alarms.length > 1 ? h('small', { text: ` +${s.alarms.length - 1}` }) : undefined])
      : h('span', { class: 'alarm none', text: 'no alarms' }),
    h('span', { class: 'avail', text: [open, ready !== undefined ? `${ready} ready` : ''].filter(Boolean).join(' · ') || '—' }),
    h('span', { class: 'heard', text: ago(s.lastHeard) }),
  );
}
