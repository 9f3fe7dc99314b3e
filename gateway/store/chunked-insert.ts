import type { Database } from 'better-sqlite3';

/** Rows per multi-row INSERT: one statement step for many rows instead of one per row. */
export const INSERT_CHUNK = 25;

/**
 * An INSERT of `columns` values per row (`head` is `INSERT INTO t (…) VALUES `), over rows given
 * as one flat array of their values, row after row: in chunks of INSERT_CHUNK rows and singly for
 * the rest. Inside the caller's transaction: the rows commit together or not at all.
 */
export function chunkedInsert(db: Database, head: string, columns: number): (values: readonly unknown[]) => void {
  const oneRow = `(${Array<string>(columns).fill('?').join(', ')})`;
  const single = db.prepare(head + oneRow);
  const chunk = db.prepare(head + Array<string>(INSERT_CHUNK).fill(oneRow).join(', '));
  const chunkValues = INSERT_CHUNK * columns;
  return (values) => {
    let i = 0;
    for (; i + chunkValues <= values.length; i += chunkValues) chunk.run(values.slice(i, i + chunkValues));
    for (; i < values.length; i += columns) single.run(values.slice(i, i + columns));
  };
}
