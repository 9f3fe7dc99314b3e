import { describe, expect, it } from 'vitest';
import { fetchLog, type PagerDeps } from '../../console/src/history/log-pager.js';
import type { Reply } from '../../console/src/operator/command-channel.js';

/*
 * Paging a period's log (cmd/logs) to its end: `next` followed unchanged, a fresh code signed per
 * page, a bound on rows, a refusal or junk stopping it with what came so far, and a cancel that
 * drops the page still on its way. The station side of paging is test/diagnostics/'s.
 */

const row = (n: number): Record<string, unknown> => ({ id: `id-${n}`, ts: new Date(Date.UTC(2026, 11, 1, 12, 0, n)).toISOString(), type: 'door.opened', device: 'lock-1', data: { door: 1 } });
const query = { since: Date.UTC(2026, 11, 1, 12), until: Date.UTC(2026, 11, 2) };

/** A station of `total` rows, `per` a page, with cursors `c<n>`; records what was asked. */
function station(total: number, per: number): PagerDeps & { asked: Array<Record<string, unknown>>; signed: number } {
  const s = {
    asked: [] as Array<Record<string, unknown>>,
    signed: 0,
    sign: async () => `RC1:code-${++s.signed}`,
    request: async (body: Record<string, unknown>): Promise<Reply> => {
      s.asked.push(body);
      const from = typeof body['cursor'] === 'string' ? Number(body['cursor'].slice(1)) : 0;
      const limit = typeof body['limit'] === 'number' ? body['limit'] : Infinity;
      const end = Math.min(total, from + per, limit);
      const rows = Array.from({ length: Math.max(0, end - from) }, (_, i) => row(from + i));
      return { ok: true, result: { rows, truncated: end < total, ...(end < total && end < limit ? { next: `c${end}` } : {}) } };
    },
  };
  return s;
}

describe('paging the usage log', () => {
  it('follows next to the end, a fresh code each page, with the period on every page', async () => {
    const s = station(25, 10);
    const progress: number[] = [];
    const out = await fetchLog(query, s, { onPage: (p) => progress.push(p.rows) });
    expect(out.status).toBe('done');
    expect(out.rows.map((r) => r.id)).toEqual(Array.from({ length: 25 }, (_, i) => `id-${i}`));
    expect(out.status === 'done' && out.bounded).toBe(false);
    expect(progress).toEqual([10, 20, 25]);
    expect(s.asked.map((a) => a['cursor'])).toEqual([undefined, 'c10', 'c20']);
    expect(s.asked.map((a) => a['token'])).toEqual(['RC1:code-1', 'RC1:code-2', 'RC1:code-3']);
    for (const a of s.asked) expect([a['since'], a['until']]).toEqual(['2026-12-01T12:00:00.000Z', '2026-12-02T00:00:00.000Z']);
  });

  it('stops at its bound and says so', async () => {
    const out = await fetchLog(query, station(50, 10), { maxRows: 15 });
    expect(out.rows).toHaveLength(15);
    expect(out.status === 'done' && out.bounded).toBe(true);
  });

  it('stops on a refusal or a page it cannot read, keeping what came', async () => {
    const s = station(30, 10);
    const refusing: PagerDeps = { sign: s.sign, request: async (b) => (b['cursor'] ? { ok: false, error: { code: 'FORBIDDEN', message: 'no' } } : s.request(b)) };
    const refused = await fetchLog(query, refusing);
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'FORBIDDEN' } });
    expect(refused.rows).toHaveLength(10);
    const junk = await fetchLog(query, { sign: s.sign, request: async () => ({ ok: true, result: { rows: [{ nope: 1 }], truncated: false } }) });
    expect(junk).toMatchObject({ status: 'failed', error: { code: 'BAD_REPLY' } });
    const noPass = await fetchLog(query, { sign: async () => Promise.reject(Object.assign(new Error('no operator pass'), { code: 'NO_PASS' })), request: s.request });
    expect(noPass).toMatchObject({ status: 'failed', error: { code: 'NO_PASS' } });
  });

  it('drops the page on its way when cancelled, and asks for no more', async () => {
    const s = station(100, 10);
    const abort = new AbortController();
    let release: () => void = () => undefined;
    const slow: PagerDeps = {
      sign: s.sign,
      request: async (b) => {
        if (b['cursor'] === 'c20') await new Promise<void>((r) => (release = r));
        return s.request(b);
      },
    };
    const running = fetchLog(query, slow, { signal: abort.signal, onPage: (p) => p.pages === 2 && setTimeout(() => (abort.abort(), release()), 10) });
    const out = await running;
    expect(out.status).toBe('cancelled');
    expect(out.rows).toHaveLength(20);
    expect(s.asked).toHaveLength(3);
  });

  it('does not page for ever on a station that keeps sending the same cursor', async () => {
    const stuck: PagerDeps = { sign: async () => 'RC1:x', request: async () => ({ ok: true, result: { rows: [], truncated: true, next: 'same' } }) };
    const out = await fetchLog(query, stuck);
    expect(out.status).toBe('done');
    expect(out.status === 'done' && out.bounded).toBe(true);
  });
});
