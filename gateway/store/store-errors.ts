/** The disk (or the file system under the database) is full, or read-only: the write did not happen. */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
  readonly code = 'STORE_FULL';
}

/** The database file cannot be read as a database; it was moved aside (see StationStore). */
export class StoreCorruptError extends Error {
  override readonly name = 'StoreCorruptError';
  readonly code = 'STORE_CORRUPT';
}

/** The store was used before `start` or after `stop`: a wiring bug, never a field condition. */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  readonly code = 'STORE_CLOSED';
}

interface SqliteLike {
  code?: unknown;
}

/** SQLite result codes that mean the file itself is damaged or not a database. */
export function isCorruption(err: unknown): boolean {
  const code = (err as SqliteLike | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT_VTAB' || code === 'SQLITE_CORRUPT_INDEX';
}

/**
 * SQLITE_FULL: no room left on the device (or the page limit was hit). SQLITE_IOERR_SHMSIZE too:
 * SQLite grows the WAL index (`-shm`) by writing to it, and on a full file system that write is
 * what fails first when the WAL gets long, or when the file is opened with no `-shm` yet.
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as SqliteLike | null)?.code;
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE') return true;
  // A file system remounted read-only (an SD card after errors), or the store's stand-in while
  // the file cannot be opened: the write did not happen for want of a writable disk, the same case.
  if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) return true;
  return typeof code === 'string' && code.startsWith('SQLITE_IOERR') && /ENOSPC|no space/i.test(String((err as Error).message));
}

/** Rethrows SQLite's disk-full error as the store's own typed error; anything else unchanged. */
export function translateWriteError(err: unknown): never {
  if (isDiskFull(err)) throw new StoreFullError(`the database could not be written: ${(err as Error).message}`, { cause: err });
  throw err;
}
