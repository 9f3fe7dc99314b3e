import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWhen } from '../../../gateway/cli/log-command.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { distEntry, runNode } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/* `station-gateway log` as a crew runs it on the box: the compiled CLI against a database on disk. */

let dir: ReturnType<typeof tempDir>;
let configFile: string;

beforeAll(() => {
  dir = tempDir();
  configFile = join(dir.path, 'station.yaml');
  writeFileSync(
    configFile,
    `
station: { id: log-st-0001, timezone: Asia/Shanghai }
cloud: { url: 'mqtt://127.0.0.1:1' }
storage: { path: data/gateway.db }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 } }
`,
  );
  const store = new StationStore(join(dir.path, 'data', 'gateway.db'), silentLogger());
  store.start();
  const at = (iso: string): Date => new Date(iso);
  store.outbox.append({ type: 'access.granted', device: 'lock-1', data: { res: 'main-door', sub: 'w-17', act: 'unlock' }, ts: at('2026-11-27T23:59:00Z') });
  store.outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 1 }, ts: at('2026-11-28T02:00:00Z') });
  store.outbox.append({ type: 'door.closed', device: 'lock-1', data: { door: 1 }, ts: at('2026-11-28T02:00:09Z') });
  store.outbox.append({ type: 'access.denied', device: 'lock-1', data: { res: 'main-door', code: 'EXPIRED', note: 'said "late", twice' }, ts: at('2026-11-28T02:01:00Z') });
  store.outbox.markDelivered(store.outbox.pending(2).map((e) => e.seq));
  // A second door controller's session, later: what --device and --until must tell apart.
  store.outbox.append({ type: 'door.opened', device: 'lock-2', data: { door: 1 }, ts: at('2026-11-28T05:00:00Z') });
  store.outbox.append({ type: 'door.closed', device: 'lock-2', data: { door: 1 }, ts: at('2026-11-28T05:00:04Z') });
  store.stop();
});
afterAll(() => dir.remove());

async function log(...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['log', '--config', configFile, ...args]);
  const { code } = await p.exited;
  return { code, out: p.output() };
}

describe('station-gateway log', () => {
  it('prints the whole log in order, on the station\'s clock, marking what the cloud has not acknowledged', async () => {
    const { code, out } = await log();
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^time +type +device +data$/);
    // 23:59 UTC on the 27th is 07:59 on the 28th in Hangzhou.
    expect(lines[1]).toMatch(/^2026-11-28 07:59:00 \+08:00 {3}access\.granted +lock-1 +\{"res":"main-door"/);
    expect(lines[3]).toMatch(/^2026-11-28 10:00:09 \+08:00 \* door\.closed/);
    expect(lines[7]).toBe('(* = not yet acknowledged by the cloud)');
  });

  it('prints UTC with --utc, and reads a time without a zone on the station\'s clock', async () => {
    const utc = await log('--utc', '--device', 'lock-1', '--limit', '1');
    expect(utc.out.trim().split('\n')[1]).toMatch(/^2026-11-27 23:59:00 \+00:00 /);
    // 10:00 in Hangzhou is 02:00 UTC: the grant at 23:59 UTC is before it, the door opening is not.
    const local = await log('--since', '2026-11-28T10:00', '--until', '2026-11-28T10:01', '--csv');
    expect(local.code).toBe(0);
    expect(local.out.trim().split('\n').slice(1).map((l) => l.split(',')[2])).toEqual(['door.opened', 'door.closed']);
  });

  it('filters by time and by type prefix, and writes CSV a spreadsheet reads back', async () => {
    const { code, out } = await log('--since', '2026-11-28T00:00Z', '--type', 'access.*', '--csv');
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual([
      'id,ts,type,device,delivered_at,data',
      expect.stringMatching(/^[0-9A-Z]{26},2026-11-28T02:01:00\.000Z,access\.denied,lock-1,,"\{""res"":""main-door"",""code"":""EXPIRED"",""note"":""said \\""late\\"", twice""\}"$/),
    ]);
  });

  it('lists usage sessions, filtered by device and by time like events, with a header', async () => {
    const { code, out } = await log('--sessions', '--type', 'door', '--device', 'lock-1', '--csv');
    expect(code).toBe(0);
    const rows = out.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/,door,lock-1,2026-11-28T02:00:00\.000Z,2026-11-28T02:00:09\.000Z,closed,,/);

    const until = await log('--sessions', '--type', 'door', '--until', '2026-11-28T04:00Z', '--csv');
    expect(until.out.trim().split('\n')).toHaveLength(2);
    const all = await log('--sessions', '--type', 'door', '--csv');
    expect(all.out.trim().split('\n')).toHaveLength(3);

    const text = await log('--sessions', '--device', 'lock-2');
    const lines = text.out.trim().split('\n');
    expect(lines[0]).toMatch(/^started +ended +kind +device +outcome +data$/);
    expect(lines[1]).toMatch(/^2026-11-28 13:00:00 \+08:00 → 2026-11-28 13:00:04 \+08:00 door +lock-2 +closed/);
    expect(lines).toHaveLength(2);
  });

  it('refuses a bad option value with exit 2 and a missing database with exit 1', async () => {
    const bad = await log('--since', 'last tuesday');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('--since: "last tuesday" is neither a date');
    writeFileSync(join(dir.path, 'other.yaml'), `station: { id: log-st-0002 }\ncloud: { url: 'mqtt://127.0.0.1:1' }\nstorage: { path: nowhere/gateway.db }\ndevices:\n  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 } }\n`);
    const p = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['log', '--config', join(dir.path, 'other.yaml')]);
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toContain('no usage log at');
  });
});

describe('parseWhen', () => {
  it('reads dates, times and spans back from now', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    expect(parseWhen('30m', '--since', now)).toEqual(new Date('2026-11-28T11:30:00Z'));
    expect(parseWhen('12h', '--since', now)).toEqual(new Date('2026-11-28T00:00:00Z'));
    expect(parseWhen('7d', '--since', now)).toEqual(new Date('2026-11-21T12:00:00Z'));
    expect(parseWhen('2026-11-28T02:00Z', '--since', now)).toEqual(new Date('2026-11-28T02:00:00Z'));
    expect(() => parseWhen('soon', '--since', now)).toThrow(/neither a date/);
  });
});
