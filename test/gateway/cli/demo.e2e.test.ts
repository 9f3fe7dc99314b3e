import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../config/package-root.js';
import { freePort } from '../../helpers/free-port.js';
import { MqttRecorder } from '../../helpers/mqtt-recorder.js';
import { distEntry } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * What `npm start` promises a new user: the whole demo station, visible to a plain MQTT client, on
 * a machine with nothing but Node (no socat), beside another demo, and taking faults typed into it.
 * Two demos run at once here: that is the test of "two demos on one machine", and it costs one
 * start-up time instead of two.
 */

const S = 'stations/demo-hz-0001';
const DEVICES = ['lock-1', 'scanner-1', 'cabinet-1', 'water-1', 'occupancy-1'];

interface Demo {
  port: number;
  dir: string;
  output(): string;
  send(line: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** A demo as its own process with stdin piped, in a state folder of its own. */
function startDemo(port: number, dir: string, env: NodeJS.ProcessEnv = process.env): Demo {
  const child = spawn(process.execPath, [distEntry('gateway', 'cli', 'demo.js'), '--port', String(port), '--dir', dir], {
    cwd: packageRoot(),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    dir,
    output: () => out,
    send: (line) => child.stdin.write(`${line}\n`),
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT as Ctrl-C: the demo stops gateway, simulators and broker in order.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** PATH with node on it and no socat, as on a fresh machine with only Node installed. */
function pathWithoutSocat(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  return bin;
}

describe('the demo (npm start)', () => {
  let tmp: string;
  let bare: Demo;
  let second: Demo;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-e2e-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutSocat(tmp) };
    delete env['NOTIFY_SOCKET'];
    bare = startDemo(await freePort(), path.join(tmp, 'a'), env);
    second = startDemo(await freePort(), path.join(tmp, 'b'));
    await Promise.all([bare, second].map((d) => waitFor(() => d.output().includes('Ctrl-C stops everything.') || d.output().includes('demo:'), 45_000, 'the demo banner')));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([bare?.stop(), second?.stop()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('two demos on two broker ports both come up, each with its own ports and folder; without socat too', async () => {
    for (const demo of [bare, second]) {
      expect(demo.output()).not.toContain('demo:');
      expect(demo.output()).toMatch(/control: http:\/\/127\.0\.0\.1:\d+/);
      const recorder = await MqttRecorder.connect(`mqtt://127.0.0.1:${demo.port}`, 'stations/+/devices/+');
      try {
        for (const id of DEVICES) await recorder.waitFor(`${S}/devices/${id}`, (m) => m.body['online'] === true, 20_000);
      } finally {
        await recorder.close();
      }
      expect(fs.existsSync(path.join(demo.dir, 'gateway.db'))).toBe(true);
      expect(fs.existsSync(path.join(demo.dir, 'keys', 'trusted-keys.jwks.json'))).toBe(true);
    }
    const derived = [bare, second].map((d) => fs.readFileSync(path.join(d.dir, 'station.yaml'), 'utf8'));
    expect(derived[0]).toContain('type: serial-tcp');
    expect(derived[0]).not.toEqual(derived[1]);
  }, 60_000);

  it('a plain client sees the status and every device retained', async () => {
    const late = await MqttRecorder.connect(`mqtt://127.0.0.1:${bare.port}`);
    try {
      expect((await late.waitFor(`${S}/status`, (m) => m.body['online'] === true)).retain).toBe(true);
      for (const id of DEVICES) expect((await late.waitFor(`${S}/devices/${id}`)).retain).toBe(true);
    } finally {
      await late.close();
    }
  });

  it('a fault typed on its stdin becomes an alarm on that station only', async () => {
    const mine = await MqttRecorder.connect(`mqtt://127.0.0.1:${bare.port}`, `${S}/alarms`);
    const other = await MqttRecorder.connect(`mqtt://127.0.0.1:${second.port}`, `${S}/alarms`);
    try {
      bare.send('cabinet-1 smoke on');
      await waitFor(() => bare.output().includes('ok: smoke on'), 10_000, 'ok: smoke on');
      bare.send('cabinet-1 no-such-thing');
      await waitFor(() => bare.output().includes('error: cabinet: unknown command'), 10_000, 'an error: answer');
      const hasSmoke = (m: { body: Record<string, unknown> }): boolean =>
        Array.isArray(m.body['alarms']) && (m.body['alarms'] as Array<{ alarm: string }>).some((a) => a.alarm === 'cabinet.smoke');
      await mine.waitFor(`${S}/alarms`, hasSmoke, 15_000);
      expect(other.on(`${S}/alarms`).some(hasSmoke)).toBe(false);
    } finally {
      await mine.close();
      await other.close();
    }
  }, 30_000);

  it('Ctrl-C stops it all', async () => {
    await bare.stop();
    expect((await bare.exited).code).toBe(0);
    expect(bare.output()).toContain('demo stopped');
  }, 20_000);
});
