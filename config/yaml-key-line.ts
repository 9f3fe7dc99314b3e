import { isMap, isNode, isScalar, isSeq } from 'yaml';
import type { ParsedYaml } from './read-yaml-file.js';

/**
 * The line of the key at `path` (`roles:` rather than the first line of the mapping under it),
 * or of a list item; for a path that is not in the file, the line of the nearest key above it.
 * A block mapping's own node starts at its first entry, which is the wrong line for "roles: is
 * missing slots.state" or for a binding written across several lines.
 */
export function keyLine(parsed: ParsedYaml, path: ReadonlyArray<string | number>): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const parent = parsed.doc.getIn(path.slice(0, n - 1) as unknown[], true);
    const last = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(last));
      if (pair && isNode(pair.key) && pair.key.range) return parsed.lines.linePos(pair.key.range[0]).line;
    } else if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last];
      if (isNode(item) && item.range) return parsed.lines.linePos(item.range[0]).line;
    }
  }
  return undefined;
}
