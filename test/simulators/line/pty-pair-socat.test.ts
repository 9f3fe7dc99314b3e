import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SocatMissingError, createPtyPair } from '../../../simulators/line/pty-pair.js';

/* A fresh machine without socat: the pty helper must say what to install, not "exited: ". */

describe('createPtyPair without socat', () => {
  const savedPath = process.env['PATH'];
  let dir: string | undefined;

  afterEach(() => {
    process.env['PATH'] = savedPath;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('throws SocatMissingError naming the Debian package when PATH has no socat', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-socat-'));
    // A PATH that exists but holds no socat, as on a machine where it was never installed.
    process.env['PATH'] = path.join(dir, 'bin');
    const err = await createPtyPair({ devicePath: path.join(dir, 'tty', 'lock') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SocatMissingError);
    expect((err as SocatMissingError).code).toBe('SIM_SOCAT_MISSING');
    expect((err as Error).message).toMatch(/^socat not found: apt-get install socat/);
    expect(fs.existsSync(path.join(dir, 'tty', 'lock'))).toBe(false);
  });
});
