/* The virtual list's arithmetic, apart from the DOM so it is tested without a browser. */

/** The largest offset that still shows rows: `count` rows of `rowHeight` in a viewport `viewport` high. */
export function clampScrollTop(scrollTop: number, count: number, rowHeight: number, viewport: number): number {
  const max = Math.max(0, count * rowHeight - viewport);
  return Math.max(0, Math.min(scrollTop, max));
}

/** The offset that brings row `index` fully into view, moving as little as possible. */
export function scrollToShow(scrollTop: number, index: number, rowHeight: number, viewport: number): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return Math.max(0, top + rowHeight - viewport);
  return scrollTop;
}

/** The row a navigation key moves to from `index`, or undefined for a key that is not one. */
export function keyTarget(key: string, index: number, count: number, pageRows: number): number | undefined {
  if (count === 0) return undefined;
  const last = count - 1;
  switch (key) {
    case 'ArrowDown':
      return Math.min(last, index + 1);
    case 'ArrowUp':
      return Math.max(0, index - 1);
    case 'PageDown':
      return Math.min(last, index + pageRows);
    case 'PageUp':
      return Math.max(0, index - pageRows);
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return undefined;
  }
}
