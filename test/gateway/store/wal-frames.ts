import { readFileSync, statSync } from 'node:fs';

/** Frames in the WAL beside the database at `path`: what the commits since the last checkpoint wrote. */
export function walFrames(path: string): number {
  const size = statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  if (size <= 32) return 0;
  // The WAL header names the page size (bytes 8-11, big-endian); each frame is a page and 24 bytes.
  const pageSize = readFileSync(`${path}-wal`).readUInt32BE(8);
  return (size - 32) / (pageSize + 24);
}
