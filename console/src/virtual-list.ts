/**
 * A scrolling list that keeps only the visible rows (plus a few) in the DOM: 12,000 stations
 * would otherwise cost 12,000 rows of layout on every update. Rows have one fixed height, read
 * from the CSS variable `--row-height` so a phone layout can make them taller.
 */
export class VirtualList<T> {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private items: readonly T[] = [];
  private rowHeight = 44;

  constructor(
    private readonly renderRow: (row: HTMLElement, item: T) => void,
    private readonly onRowClick: (item: T) => void,
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
      const row = (e.target as HTMLElement).closest<HTMLElement>('.vrow');
      const index = Number(row?.dataset['index']);
      const item = this.items[index];
      if (row && item !== undefined) this.onRowClick(item);
    });
  }

  setItems(items: readonly T[]): void {
    this.items = items;
    this.render();
  }

  /** Renders the rows in view; call it when items changed or their content did. */
  render(): void {
    const css = getComputedStyle(this.element).getPropertyValue('--row-height');
    this.rowHeight = Number.parseFloat(css) || this.rowHeight;
    this.spacer.style.height = `${this.items.length * this.rowHeight}px`;
    const first = Math.max(0, Math.floor(this.element.scrollTop / this.rowHeight) - this.overscan);
    const visible = Math.ceil((this.element.clientHeight || 600) / this.rowHeight) + 2 * this.overscan;
    const last = Math.min(this.items.length, first + visible);
    const count = last - first;
    while (this.pool.length < count) {
      const row = document.createElement('div');
      row.className = 'vrow';
      row.setAttribute('role', 'listitem');
      row.tabIndex = 0;
      this.pool.push(row);
      this.spacer.append(row);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i] as HTMLElement;
      const item = this.items[first + i];
      if (i >= count || item === undefined) {
        // A spare row keeps nothing of the item it showed: find-in-page and tests see only live rows.
        if (!row.hidden) {
          row.hidden = true;
          row.replaceChildren();
          for (const key of Object.keys(row.dataset)) delete row.dataset[key];
        }
        continue;
      }
      row.hidden = false;
      row.dataset['index'] = String(first + i);
      row.style.transform = `translateY(${(first + i) * this.rowHeight}px)`;
      this.renderRow(row, item);
    }
  }

  /** How many rows are in the DOM now (the benchmark checks the list rendered, not 12,000 nodes). */
  get renderedRows(): number {
    return this.pool.filter((r) => !r.hidden).length;
  }
}
