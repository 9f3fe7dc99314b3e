import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandError } from '../../cloud-bridge/command-handler.js';
import { readLogPage, type LogsRequest } from '../../gateway/ops/diagnostics/log-pages.js';
import { openUsageLog } from '../../gateway/ops/diagnostics/diagnostics-service.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { StationStore } from '../../gateway/store/station-store.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let store: StationStore;
let path: string;
const AT = new Date('2026-11-28T10:00:00.000Z');

beforeEach(() => {
  dir = tempDir('log-pages-');
  path = join(dir.path, 'gateway.db');
  store = new StationStore(path, silentLogger());
  store.start();
  // Every refusal at the same instant: a session page's cursor must break the tie by id.
  store.outbox.appendMany(
    Array.from({ length: 300 }, (_, i) => ({ type: 'access.denied', device: i % 2 ? 'lock-1' : 'lock-2', ts: AT, data: { code: 'BAD_TOKEN', reason: `r${i} ${'x'.repeat(i % 7 === 0 ? 900 : 100)}`, via: 'scanner-1', res: 'main-door' } })),
  );
  // As the gateway does before cmd/logs opens the file read-only.
  store.deriveSessions();
});

afterEach(() => {
  store.stop();
  dir.remove();
});

/** Every page of `request`, each checked against the contract and the byte budget. */
function pages(request: LogsRequest, bytes: number): Array<Record<string, unknown>>[] {
  const db = openUsageLog(path);
  try {
    const out: Array<Record<string, unknown>>[] = [];
    let cursor: string | undefined;
    do {
      const { result } = readLogPage(db, { ...request, ...(cursor ? { cursor } : {}) }, bytes);
      assertContract('logs-result', result);
      expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(bytes);
      out.push(result.rows as Array<Record<string, unknown>>);
      cursor = result.next;
    } while (cursor && out.length < 500);
    return out;
  } finally {
    db.close();
  }
}

describe('a page of the usage log', () => {
  it('is cut by its serialised size, not a row count, and carries on from its cursor', () => {
    const events = pages({ device: 'lock-1' }, 8 * 1024);
    const rows = events.flat();
    expect(rows).toHaveLength(150);
    expect(new Set(rows.map((r) => r['id'])).size).toBe(150);
    expect(events.length).toBeGreaterThan(3);
    // Pages with the 900-byte refusals hold fewer rows than pages without.
    expect(new Set(events.slice(0, -1).map((p) => p.length)).size).toBeGreaterThan(1);
  });

  it('pages sessions that all start at one instant, each once', () => {
    const rows = pages({ sessions: true, type: 'access' }, 6 * 1024).flat();
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r['id'])).size).toBe(300);
  });

  it('holds limit over pages', () => {
    const got = pages({ limit: 70 }, 4 * 1024);
    expect(got.flat()).toHaveLength(70);
    expect(got.length).toBeGreaterThan(1);
  });

  it('sends a row too large for any page without its data, and moves on', () => {
    store.outbox.append({ type: 'access.denied', device: 'lock-3', ts: AT, data: { code: 'BAD_TOKEN', reason: 'y'.repeat(20_000), via: 'scanner-1' } });
    store.outbox.append({ type: 'access.denied', device: 'lock-3', ts: AT, data: { code: 'BAD_TOKEN', reason: 'small', via: 'scanner-1' } });
    const rows = pages({ device: 'lock-3' }, 4 * 1024).flat();
    expect(rows.map((r) => (r['data'] as Record<string, unknown>)['reason'] ?? 'omitted')).toEqual(['omitted', 'small']);
  });

  it('refuses a cursor it did not make, or one of the other kind, with BAD_REQUEST', () => {
    const db = openUsageLog(path);
    try {
      const { result } = readLogPage(db, {}, 4 * 1024);
      const refused = (request: LogsRequest): unknown => {
        try {
          readLogPage(db, request);
          return undefined;
        } catch (err) {
          return err;
        }
      };
      for (const r of [{ cursor: 'eyJrIjoiZSJ9' }, { cursor: '%%%' }, { cursor: result.next!, sessions: true }, { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' }] as LogsRequest[]) {
        const err = refused(r);
        expect(err, JSON.stringify(r)).toBeInstanceOf(CommandError);
        expect((err as CommandError).code).toBe('BAD_REQUEST');
      }
    } finally {
      db.close();
    }
  });
});
