/*
 * Brings a live DOM subtree to the shape of a freshly built one, touching only what differs: a
 * text node whose words are unchanged is left alone (so a selection in it survives), an element
 * that is still there keeps its identity (so focus on it survives), and children marked
 * `data-key` are matched by key rather than by position (a new event at the top moves nothing).
 * The station view builds its whole tree on every change and lets this decide what the page sees.
 */

/** Attributes the user changes in the page (a `<details>` they opened) are theirs, not the builder's. */
const USER_OWNED = new Set(['open']);

const keyOf = (n: Node): string | null => (n instanceof Element ? n.getAttribute('data-key') : null);

function sameKind(a: Node, b: Node): boolean {
  if (a.nodeType !== b.nodeType) return false;
  return !(a instanceof Element) || (b instanceof Element && a.tagName === b.tagName);
}

/** Makes `live` look like `next` (same tag assumed); `next`'s nodes may be moved into `live`. */
export function morph(live: Node, next: Node): void {
  if (!(live instanceof Element) || !(next instanceof Element)) {
    if (live.nodeValue !== next.nodeValue) live.nodeValue = next.nodeValue;
    return;
  }
  for (const a of [...live.attributes]) if (!next.hasAttribute(a.name) && !USER_OWNED.has(a.name)) live.removeAttribute(a.name);
  for (const a of [...next.attributes]) if (live.getAttribute(a.name) !== a.value) live.setAttribute(a.name, a.value);
  morphChildren(live, next);
}

function morphChildren(live: Element, next: Element): void {
  const byKey = new Map<string, ChildNode>();
  for (const c of live.childNodes) {
    const k = keyOf(c);
    if (k !== null) byKey.set(k, c);
  }
  const used = new Set<Node>();
  let cursor: ChildNode | null = live.firstChild;
  for (const n of [...next.childNodes]) {
    while (cursor && used.has(cursor)) cursor = cursor.nextSibling;
    const key = keyOf(n);
    let match: ChildNode | undefined;
    if (key !== null) {
      const m = byKey.get(key);
      if (m && !used.has(m) && sameKind(m, n)) match = m;
    } else if (cursor && keyOf(cursor) === null && sameKind(cursor, n)) {
      match = cursor;
    }
    if (match) {
      used.add(match);
      if (match === cursor) cursor = cursor.nextSibling;
      else live.insertBefore(match, cursor);
      morph(match, n);
    } else {
      used.add(n);
      live.insertBefore(n, cursor);
    }
  }
  for (const c of [...live.childNodes]) if (!used.has(c)) c.remove();
}
