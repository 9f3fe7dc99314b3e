import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { findRunningGateway, GatewayPidFile, pidFilePath } from '../../../gateway/runtime/gateway-pid-file.js';
import { tempDir } from '../../helpers/temp-dir.js';

/* The pid file next to the database that tells doctor a gateway runs there (issue 14). */

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function dbPath(): string {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  return join(dir.path, 'gateway.db');
}

describe('GatewayPidFile', () => {
  it('writes this process, and removes the file at stop only while it still names this process', () => {
    const db = dbPath();
    const file = new GatewayPidFile(db, '01BOOT', pino({ level: 'silent' }));
    file.start();
    expect(JSON.parse(readFileSync(pidFilePath(db), 'utf8'))).toMatchObject({ pid: process.pid, bootId: '01BOOT', startedAt: expect.stringMatching(/Z$/) as unknown });
    // This process is never "a running gateway" to itself.
    expect(findRunningGateway(db)).toBeUndefined();
    file.stop();
    expect(existsSync(pidFilePath(db))).toBe(false);

    file.start();
    writeFileSync(pidFilePath(db), JSON.stringify({ pid: 1, bootId: 'other', startedAt: '' }));
    file.stop();
    expect(existsSync(pidFilePath(db))).toBe(true);
  });

  it('logs and carries on when the file cannot be written', () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const file = new GatewayPidFile(join(dbPath(), 'no-such-dir', 'gateway.db'), '01BOOT', log);
    expect(() => file.start()).not.toThrow();
    expect(lines.join('')).toContain('cannot write the pid file');
    expect(() => file.stop()).not.toThrow();
  });

  it('finds a live station-gateway run, not a dead pid, another program, or a damaged file', async () => {
    const db = dbPath();
    const write = (content: string): void => writeFileSync(pidFilePath(db), content);
    const gateway = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '/usr/bin/station-gateway', 'run', '--config', 'x.yaml'], { stdio: 'ignore' });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => gateway.kill('SIGKILL'), () => other.kill('SIGKILL'));
    await new Promise((r) => setTimeout(r, 100));
    write(JSON.stringify({ pid: gateway.pid, bootId: '01B', startedAt: 't' }));
    expect(findRunningGateway(db)).toEqual({ pid: gateway.pid, bootId: '01B', startedAt: 't' });
    write(JSON.stringify({ pid: other.pid, bootId: '01B', startedAt: 't' }));
    expect(findRunningGateway(db)).toBeUndefined();
    write(JSON.stringify({ pid: 999_999_999, bootId: '01B', startedAt: 't' }));
    expect(findRunningGateway(db)).toBeUndefined();
    for (const bad of ['', '{', '{"pid":"12"}', '{"pid":-1}', '{"pid":1.5}']) {
      write(bad);
      expect(findRunningGateway(db)).toBeUndefined();
    }
  });
});
