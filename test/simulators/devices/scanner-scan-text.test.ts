import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { restOfLine } from '../../../simulators/control/command-words.js';
import { startHttpControl } from '../../../simulators/control/http-control.js';
import { startLineControl } from '../../../simulators/control/stdin-control.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { openSerialPeer, type SerialPeer } from '../serial-peer.js';

/*
 * `scan <text>` puts the rest of the line on the wire as typed. A rolling code is base45, whose
 * alphabet has a space: runs of spaces are part of the code (docs/passes.md).
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Two scanners on ptys (so commands name their device), and the gateway's end of scanner-1's line. */
async function scanners(): Promise<{ sim: StationSimulator; peer: SerialPeer }> {
  const dir = tempDir('scan-text-');
  cleanups.push(() => dir.remove());
  const path = `${dir.path}/tty-scanner-1`;
  const sim = await startSimulators(
    [
      { id: 'scanner-1', kind: 'qr-scanner', transport: { type: 'serial', endpoint: { type: 'pty', path } } },
      { id: 'scanner-2', kind: 'qr-scanner', transport: { type: 'serial', endpoint: { type: 'pty', path: `${dir.path}/tty-scanner-2` } } },
    ],
    { seed: 3 },
  );
  cleanups.push(() => sim.stop());
  const peer = await openSerialPeer(path);
  cleanups.push(() => peer.close());
  return { sim, peer };
}

/** The next line the scanner sent, without its `\r\n`. */
async function nextScan(peer: SerialPeer): Promise<string> {
  const end = await waitFor(() => {
    const at = peer.received().indexOf('\r\n');
    return at >= 0 ? at : undefined;
  }, 5000, 'a scan on the wire');
  const line = (await peer.take(end + 2)).subarray(0, end).toString('utf8');
  return line;
}

const post = async (url: string, command: string): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('scan over the control API: the rest of the line, verbatim', () => {
  it('keeps runs of spaces, a # and trailing blanks; drops only the separator and the line end', async () => {
    const { sim, peer } = await scanners();
    const control = await startHttpControl(sim);
    cleanups.push(() => control.stop());
    const code = 'RC1:6BF  OA3 %*+-./:   9Q';

    expect(await post(`${control.url}/commands`, `scanner-1 scan ${code}`)).toEqual({ status: 200, json: { ok: true, result: `scanned ${code.length} characters` } });
    expect(await nextScan(peer)).toBe(code);

    // By device path, with and without the id; blanks before the verb are not text.
    await post(`${control.url}/devices/scanner-1/commands`, `scan ${code}  # not a comment `);
    expect(await nextScan(peer)).toBe(`${code}  # not a comment `);
    await post(`${control.url}/devices/scanner-1/commands`, `  scanner-1   scan  ${code}\r\n`);
    expect(await nextScan(peer)).toBe(` ${code}`);

    expect(await post(`${control.url}/commands`, 'scanner-1 scan')).toMatchObject({ status: 400, json: { ok: false } });
    expect(await post(`${control.url}/commands`, 'scanner-1 scan ')).toMatchObject({ status: 400, json: { ok: false } });
    expect(peer.received().length).toBe(0);
  });
});

describe('scan on stdin', () => {
  it('runs the line as typed, trailing blanks included', async () => {
    const { sim, peer } = await scanners();
    const input = new PassThrough();
    const output = new PassThrough();
    let answers = '';
    output.on('data', (chunk: Buffer) => (answers += chunk.toString()));
    const stop = startLineControl({ input, output, run: (line) => sim.command(line), help: () => 'help', list: () => 'list' });
    cleanups.push(stop);
    input.write('scanner-1 scan A  B   C \r\n');
    expect(await nextScan(peer)).toBe('A  B   C ');
    await waitFor(() => answers.includes('ok: scanned 9 characters'), 5000, 'the answer');
  });
});

describe('restOfLine', () => {
  it.each([
    ['scan  A  B', 1, ' A  B'],
    ['scan\tA  B\r\n', 1, 'A  B'],
    ['  dev-1   scan A ', 2, 'A '],
    ['scan', 1, ''],
    ['dev-1 scan', 1, 'scan'],
  ])('%j after %i words is %j', (line, count, rest) => {
    expect(restOfLine(line, count)).toBe(rest);
  });
});
