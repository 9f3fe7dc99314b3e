import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, decodeFrame } from '../../../device-drivers/line/line-frame.js';
import { distEntry } from '../../helpers/processes.js';
import { freePort } from '../../helpers/free-port.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { openSerialPeer } from '../serial-peer.js';

/* `station-sim` as a crew runs it: the compiled entry, its stdout, stdin and control API. */

const ENTRY = distEntry('simulators', 'cli', 'station-sim.js');
const MBPOLL = '/usr/bin/mbpoll';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Sim {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  type(line: string): void;
}

function startSim(args: string[]): Sim {
  const child = spawn(process.execPath, [ENTRY, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  });
  return {
    child,
    output: () => out,
    waitFor: (text, timeoutMs = 15_000) =>
      waitFor(() => {
        const m = typeof text === 'string' ? (out.includes(text) ? text : undefined) : text.exec(out)?.[0];
        return m;
      }, timeoutMs, `station-sim output ${String(text)}:\n${out}`),
    type: (line) => child.stdin.write(`${line}\n`),
  };
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 20_000 }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

describe('station-sim --help', () => {
  it.each(['lock', 'scanner', 'cabinet', 'dispenser', 'occupancy', 'smoke', 'station'])('%s --help explains its options', async (sub) => {
    const r = await run(process.execPath, [ENTRY, sub, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: station-sim ${sub}`);
    expect(r.stdout).toMatch(/--seed N/);
    if (sub !== 'station') expect(r.stdout).toMatch(/--pty \[PATH\]/);
  });

  it('refuses an unknown device or option with exit code 2', async () => {
    expect((await run(process.execPath, [ENTRY, 'toaster'])).code).toBe(2);
    expect((await run(process.execPath, [ENTRY, 'cabinet', '--slots', '99'])).code).toBe(2);
    // A lock on --tcp is a device server's port (serial-tcp); RTU frames over TCP are Modbus only.
    expect((await run(process.execPath, [ENTRY, 'lock', '--rtu-tcp', '5020'])).code).toBe(2);
  });
});

describe('station-sim single devices', () => {
  it('cabinet --tcp: mbpoll reads it (with a --fault delay); a stdin command raises smoke', async () => {
    const port = await freePort();
    const sim = startSim(['cabinet', '--tcp', String(port), '--unit', '4', '--slots', '4', '--fault', 'delay 50']);
    await sim.waitFor('ready');
    expect(sim.output()).toContain(`cabinet-1      battery-cabinet  modbus-tcp 127.0.0.1:${port} unit 4`);
    const read = await run(MBPOLL, ['-m', 'tcp', '-p', String(port), '-a', '4', '-0', '-1', '-r', '0', '-c', '4', '-t', '4', '127.0.0.1']);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toMatch(/^\[2\]:\s+4$/m);
    sim.type('cabinet-1 smoke on');
    await sim.waitFor('ok: smoke on');
    // With a single device its id may be left out.
    sim.type('slot 9 remove');
    await sim.waitFor(/error: slot \(door number\) must be an integer 1\.\.4/);
    const status = await run(MBPOLL, ['-m', 'tcp', '-p', String(port), '-a', '4', '-0', '-1', '-r', '0', '-t', '4', '127.0.0.1']);
    expect(status.stdout).toMatch(/^\[0\]:\s+5$/m);
  });

  it('dispenser --pty: prints the path it made; mbpoll reads it as an RTU master', async () => {
    const sim = startSim(['dispenser', '--pty', '--tank', '40']);
    const line = await sim.waitFor(/modbus-rtu \S+ unit 2/);
    const path = line.split(' ')[1] ?? '';
    await sim.waitFor('ready');
    const read = await run(MBPOLL, ['-m', 'rtu', '-b', '9600', '-P', 'none', '-a', '2', '-0', '-1', '-o', '2', '-r', '2', '-t', '4', path]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toMatch(/^\[2\]:\s+40$/m);
  });

  it('lock --pty PATH --jammed 1: the controller answers ERR JAMMED on the wire', async () => {
    const dir = tempDir('sim-cli-');
    cleanups.push(() => dir.remove());
    const path = join(dir.path, 'lock');
    const sim = startSim(['lock', '--pty', path, '--jammed', '1']);
    await sim.waitFor('ready');
    const peer = await openSerialPeer(path);
    cleanups.push(() => peer.close());
    await peer.write(encodeFrame(5, 'UNLOCK', [1, 3000]));
    await waitFor(() => peer.received().includes('\r\n'), 5000, 'a reply');
    expect(decodeFrame(peer.received().toString().split('\r\n')[0] ?? '')).toMatchObject({ seq: 5, verb: 'ERR', args: ['JAMMED'] });
  });
});

describe('station-sim station', () => {
  it('--config with --scenario: replays the timeline, the control API shows the result', async () => {
    const dir = tempDir('sim-cli-');
    cleanups.push(() => dir.remove());
    const port = await freePort();
    const busPort = await freePort();
    writeFileSync(
      join(dir.path, 'station.yaml'),
      `
station: { id: bench-0002 }
cloud: { url: mqtt://127.0.0.1:1883, protocolVersion: 4 }
storage: { path: data/gateway.db }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${port}, unitId: 1 } }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${busPort}, unitId: 2 } }
`,
    );
    writeFileSync(
      join(dir.path, 'night.yaml'),
      `
- at: 0s
  do: cabinet-1 slot 4 temperature 62
- at: 500ms
  do: [water-1 leak on, cabinet-1 fault silent on]
`,
    );
    const sim = startSim(['station', '--config', join(dir.path, 'station.yaml'), '--scenario', join(dir.path, 'night.yaml'), '--baud-timing']);
    await sim.waitFor('scenario done');
    expect(sim.output()).toMatch(/scenario 0\.0s cabinet-1 slot 4 temperature 62: ok: slot 4 battery at 62 °C/);
    expect(sim.output()).toMatch(/scenario 0\.5s water-1 leak on: ok/);
    const url = /control: (http:\/\/127\.0\.0\.1:\d+)/.exec(sim.output())?.[1];
    const devices = (await (await fetch(`${url ?? ''}/devices`)).json()) as Array<Record<string, unknown>>;
    expect(devices.find((d) => d['id'] === 'water-1')).toMatchObject({ leak: true });
    expect(devices.find((d) => d['id'] === 'cabinet-1')).toMatchObject({ faults: ['silent'] });
    const silent = await run(MBPOLL, ['-m', 'tcp', '-p', String(port), '-a', '1', '-0', '-1', '-o', '0.3', '-r', '0', '-t', '4', '127.0.0.1']);
    expect(silent.stderr).toMatch(/timed out/i);
  });
});
