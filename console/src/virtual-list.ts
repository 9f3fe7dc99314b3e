import { clampScrollTop, keyTarget, scrollToShow } from './fleet-scroll.js';

/**
 * A scrolling list that keeps only the visible rows (plus a few) in the DOM: 12,000 stations
 * would otherwise cost 12,000 rows of layout on every update. Rows have one fixed height, read
 * from the CSS variable `--row-height` so a phone layout can make them taller.
 *
 * Keyboard: the list is one Tab stop (a roving tabindex on the current row); arrows, Page Up/Down,
 * Home and End move between rows, scrolling the row into view; Enter and Space open it.
 */
export class VirtualList<T> {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private items: readonly T[] = [];
  private rowHeight = 44;
  /** The row that holds the list's Tab stop, by index into the items. */
  private current = 0;

  constructor(
    private readonly renderRow: (row: HTMLElement, item: T) => void,
    private readonly onRowOpen: (item: T) => void,
    private readonly overscan = 6,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'vlist';
    this.element.setAttribute('role', 'list');
    this.spacer = document.createElement('div');
    this.spacer.className = 'vlist-spacer';
    this.element.append(this.spacer);
    this.element.addEventListener('scroll', () => this.render(), { passive: true });
    this.element.addEventListener('click', (e) => {
      const index = rowIndex(e.target);
      const item = index === undefined ? undefined : this.items[index];
      if (index !== undefined && item !== undefined) {
        this.current = index;
        this.onRowOpen(item);
      }
    });
    this.element.addEventListener('keydown', (e) => this.key(e));
    this.element.addEventListener('focusin', (e) => {
      const index = rowIndex(e.target);
      if (index !== undefined) this.current = index;
    });
  }

  /**
   * New items. `fromTop` when they are another selection (a new search, filter or sort): the old
   * offset may lie past the end of a shorter list, which would show its count over a blank list.
   */
  setItems(items: readonly T[], fromTop = false): void {
    this.items = items;
    if (fromTop) {
      this.element.scrollTop = 0;
      this.current = 0;
    }
    this.current = Math.min(this.current, Math.max(0, items.length - 1));
    this.render();
  }

  /** Renders the rows in view; call it when items changed or their content did. */
  render(): void {
    const css = getComputedStyle(this.element).getPropertyValue('--row-height');
    this.rowHeight = Number.parseFloat(css) || this.rowHeight;
    this.spacer.style.height = `${this.items.length * this.rowHeight}px`;
    const viewport = this.element.clientHeight || 600;
    // The browser clamps too, but only after layout: this frame's rows must come from the clamped offset.
    const top = clampScrollTop(this.element.scrollTop, this.items.length, this.rowHeight, viewport);
    if (top !== this.element.scrollTop) this.element.scrollTop = top;
    const first = Math.max(0, Math.floor(top / this.rowHeight) - this.overscan);
    const visible = Math.ceil(viewport / this.rowHeight) + 2 * this.overscan;
    const last = Math.min(this.items.length, first + visible);
    const count = last - first;
    while (this.pool.length < count) {
      const row = document.createElement('div');
      row.className = 'vrow';
      row.setAttribute('role', 'listitem');
      row.tabIndex = -1;
      this.pool.push(row);
      this.spacer.append(row);
    }
    const hadFocus = this.element.contains(document.activeElement);
    let focusRow: HTMLElement | undefined;
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i] as HTMLElement;
      const item = this.items[first + i];
      if (i >= count || item === undefined) {
        // A spare row keeps nothing of the item it showed: find-in-page and tests see only live rows.
        if (!row.hidden) {
          row.hidden = true;
          row.tabIndex = -1;
          row.replaceChildren();
          for (const key of Object.keys(row.dataset)) delete row.dataset[key];
        }
        continue;
      }
      row.hidden = false;
      row.dataset['index'] = String(first + i);
      row.style.transform = `translateY(${(first + i) * this.rowHeight}px)`;
      const isCurrent = first + i === this.current;
      row.tabIndex = isCurrent ? 0 : -1;
      if (isCurrent) focusRow = row;
      this.renderRow(row, item);
    }
    // The current row scrolled out of the pool: the first row in view takes the Tab stop.
    if (!focusRow && count > 0) {
      const firstInView = this.pool[Math.min(count - 1, Math.floor(top / this.rowHeight) - first)];
      if (firstInView) firstInView.tabIndex = 0;
    }
    // Rows are reused: the DOM row that had focus may now show another station; focus follows the item.
    if (hadFocus && focusRow && document.activeElement !== focusRow) focusRow.focus({ preventScroll: true });
  }

  private key(e: KeyboardEvent): void {
    const index = rowIndex(e.target);
    if (index === undefined) return;
    if (e.key === 'Enter' || e.key === ' ') {
      const item = this.items[index];
      if (item === undefined) return;
      e.preventDefault();
      this.onRowOpen(item);
      return;
    }
    const pageRows = Math.max(1, Math.floor((this.element.clientHeight || 600) / this.rowHeight) - 1);
    const next = keyTarget(e.key, index, this.items.length, pageRows);
    if (next === undefined) return;
    e.preventDefault();
    this.focusIndex(next);
  }

  /** Scrolls the row at `index` into view and focuses it. */
  focusIndex(index: number): void {
    if (this.items.length === 0) return;
    this.current = Math.max(0, Math.min(this.items.length - 1, index));
    this.element.scrollTop = scrollToShow(this.element.scrollTop, this.current, this.rowHeight, this.element.clientHeight || 600);
    this.render();
    const row = this.pool.find((r) => !r.hidden && Number(r.dataset['index']) === this.current);
    row?.focus({ preventScroll: true });
  }

  /** How many rows are in the DOM now (the benchmark checks the list rendered, not 12,000 nodes). */
  get renderedRows(): number {
    return this.pool.filter((r) => !r.hidden).length;
  }
}

function rowIndex(target: EventTarget | null): number | undefined {
  const row = (target as HTMLElement | null)?.closest?.<HTMLElement>('.vrow');
  const index = Number(row?.dataset['index']);
  return row && Number.isInteger(index) ? index : undefined;
}
