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
station: { id: log-st-0001 }
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
  store.stop();
});
afterAll(() => dir.remove());

async function log(...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['log', '--config', configFile, ...args]);
  const { code } = await p.exited;
  return { code, out: p.output() };
}

describe('station-gateway log', () => {
  it('prints the whole log in order, marking what the cloud has not acknowledged', async () => {
    const { code, out } = await log();
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^2026-11-27T23:59:00\.000Z {3}access\.granted +lock-1 +\{"res":"main-door"/);
    expect(lines[2]).toMatch(/^2026-11-28T02:00:09\.000Z \* door\.closed/);
    expect(lines[4]).toBe('(* = not yet acknowledged by the cloud)');
  });

  it('filters by time and by type prefix, and writes CSV a spreadsheet reads back', async () => {
    const { code, out } = await log('--since', '2026-11-28T00:00Z', '--type', 'access.*', '--csv');
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual([
      'id,ts,type,device,delivered_at,data',
      expect.stringMatching(/^[0-9A-Z]{26},2026-11-28T02:01:00\.000Z,access\.denied,lock-1,,"\{""res"":""main-door"",""code"":""EXPIRED"",""note"":""said \\""late\\"", twice""\}"$/),
    ]);
  });

  it('lists usage sessions', async () => {
    const { code, out } = await log('--sessions', '--type', 'door', '--csv');
    expect(code).toBe(0);
    const rows = out.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/,door,lock-1,2026-11-28T02:00:00\.000Z,2026-11-28T02:00:09\.000Z,closed,,/);
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
