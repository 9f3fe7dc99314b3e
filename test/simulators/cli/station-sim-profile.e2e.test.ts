import { execFile, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../config/load-profile.js';
import { builtinProfilesDir } from '../../../config/package-root.js';
import type { Profile } from '../../../config/profile-schema.js';
import type { CabinetReading } from '../../../device-drivers/capabilities/capabilities.js';
import { ModbusBatteryCabinet, ModbusSmokeDetector } from '../../../device-drivers/capabilities/modbus-capabilities.js';
import type { DeviceState } from '../../../device-drivers/device-state.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { distEntry } from '../../helpers/processes.js';
import { freePort } from '../../helpers/free-port.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * `station-sim <device> --profile FILE` as a crew runs it on a bench: the compiled entry as its
 * own process, a vendor's profile file, and the gateway's own driver and capability reading it.
 */

const ENTRY = distEntry('simulators', 'cli', 'station-sim.js');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startSim(args: string[]) {
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
    output: () => out,
    waitFor: (text: string | RegExp, timeoutMs = 15_000) =>
      waitFor(() => (typeof text === 'string' ? (out.includes(text) ? text : undefined) : text.exec(out)?.[0]), timeoutMs, `station-sim output ${String(text)}:\n${out}`),
    type: (line: string) => child.stdin.write(`${line}\n`),
    controlUrl: () => /control: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '',
  };
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ENTRY, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

function shipped(id: string): Profile {
  const { profile } = loadProfileFile(join(builtinProfilesDir(), `${id}.yaml`));
  if (!profile) throw new Error(`no profile ${id}`);
  return profile;
}

function reader(profile: Profile, port: number) {
  const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port }, silentLogger());
  cleanups.push(() => bus.close());
  const unitId = profile.defaultUnitId ?? 1;
  const driver = new ModbusProfileDriver({ profile, bus, unitId, timeoutMs: 2000 });
  const state = async (): Promise<DeviceState> => ({ online: true, points: await driver.read(), health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } });
  return { bus, driver, unitId, state };
}

async function deviceState(url: string, id: string): Promise<{ slots: Array<{ slot: number; door: string; heatRate: number }> } & Record<string, unknown>> {
  return (await (await fetch(`${url}/devices/${id}`)).json()) as { slots: Array<{ slot: number; door: string; heatRate: number }> };
}

describe('station-sim cabinet --profile', () => {
  it('simulates a vendor file from a path: its unit, its pulsed doors, its inverted door sensors, its smoke bit', async () => {
    const dir = tempDir('sim-profile-');
    cleanups.push(() => dir.remove());
    const file = join(dir.path, 'our-vendor-cabinet.yaml');
    copyFileSync(join(builtinProfilesDir(), 'cabinet-hexa.yaml'), file);
    const port = await freePort();
    const sim = startSim(['cabinet', '--tcp', String(port), '--profile', file, '--slots', '4']);
    await sim.waitFor('ready');
    expect(sim.output()).toContain(`cabinet-1      battery-cabinet  modbus-tcp 127.0.0.1:${port} unit 7`);

    const profile = shipped('cabinet-hexa');
    const r = reader(profile, port);
    const cabinet = new ModbusBatteryCabinet(profile, r.driver);
    const read = async (): Promise<CabinetReading> => cabinet.reading(await r.state());
    const first = await read();
    expect(first.slots).toHaveLength(4);
    expect(first.slots.every((s) => s.doorOpen === false)).toBe(true);
    expect(first.smoke).toBe(false);

    await cabinet.openSlotDoor(2);
    const doors = (await deviceState(sim.controlUrl(), 'cabinet-1')).slots.map((s) => s.door);
    expect(doors).toEqual(['closed', 'closed', 'open', 'closed']);
    expect((await read()).slots.map((s) => s.doorOpen)).toEqual([false, false, true, false]);

    sim.type('smoke on');
    await sim.waitFor('ok: smoke on');
    expect((await read()).smoke).toBe(true);

    const charging = first.slots.find((s) => s.state === 'charging');
    expect(charging).toBeDefined();
    sim.type(`slot ${charging!.slot} heat 30`);
    await sim.waitFor(`ok: slot ${charging!.slot} heating at 30 °C/min`);
    expect((await deviceState(sim.controlUrl(), 'cabinet-1')).slots[charging!.index]?.heatRate).toBe(30);
  });

  it('takes a shipped profile by id: cabinet-volta opens the slot whose number is written to its door register', async () => {
    const port = await freePort();
    const sim = startSim(['cabinet', '--tcp', String(port), '--profile', 'cabinet-volta']);
    await sim.waitFor('ready');
    // What the vendor's cabinet leaves off is said before it runs, as validate says it.
    expect(sim.output()).toMatch(/notice: .*cabinet-volta\.yaml.*doorOpen.*lacks: \[doorSensor\]/);
    const r = reader(shipped('cabinet-volta'), port);
    await r.bus.transact(r.unitId, 2000, (s) => s.writeRegisters(2000, [6]));
    const slots = (await deviceState(sim.controlUrl(), 'cabinet-1')).slots;
    expect(slots.filter((s) => s.door === 'open').map((s) => s.slot)).toEqual([6]);
    const points = await r.driver.read();
    // No door sensors: the vendor's map has no door point, so none is read.
    expect(JSON.stringify(points)).not.toMatch(/door/i);
  });

  it('refuses a profile with problems (naming file and line), of another kind, or for a line device, with exit code 2', async () => {
    const dir = tempDir('sim-profile-');
    cleanups.push(() => dir.remove());
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'id: bad-cabinet\nkind: battery-cabinet\nvendor: X\nmodel: Y\npoints:\n  status: { address: 0, type: bits }\n');
    const broken = await run(['cabinet', '--tcp', '0', '--profile', bad]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${bad}:6: points.status.bits: type bits needs a bits map`);
    // A file the gateway would refuse (no setCharging and no lacks: [chargingSwitch]) is refused here too.
    const unswitched = join(dir.path, 'unswitched.yaml');
    writeFileSync(unswitched, readFileSync(join(builtinProfilesDir(), 'cabinet-ref.yaml'), 'utf8').replace(/^  setCharging: setCharging\n/m, ''));
    const refused = await run(['cabinet', '--tcp', '0', '--profile', unswitched]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/unswitched\.yaml.*setCharging/);
    const other = await run(['cabinet', '--tcp', '0', '--profile', 'dispenser-aqua']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/water-dispenser profile, not a battery-cabinet/);
    expect((await run(['lock', '--profile', 'cabinet-ref'])).code).toBe(2);
  });
});

describe('station-sim dispenser, occupancy and smoke with --profile', () => {
  it('smoke: the reference detector at its unit id; "smoke on" reads as smoke through its roles', async () => {
    const help = await run(['smoke', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: station-sim smoke');
    expect(help.stdout).toContain('--profile FILE');
    const port = await freePort();
    const sim = startSim(['smoke', '--tcp', String(port)]);
    await sim.waitFor('ready');
    expect(sim.output()).toContain(`smoke-1        smoke-detector   modbus-tcp 127.0.0.1:${port} unit 9`);
    const profile = shipped('smoke-ref');
    const r = reader(profile, port);
    const detector = new ModbusSmokeDetector(profile);
    expect(detector.reading(await r.state()).smoke).toBe(false);
    sim.type('smoke on');
    await sim.waitFor('ok: smoke on');
    expect(detector.reading(await r.state()).smoke).toBe(true);
  });

  it.each([
    ['dispenser', 'dispenser-aqua', 'unit 4'],
    ['occupancy', 'occupancy-pir', 'unit 6'],
  ])('%s --profile %s serves the vendor map', async (sub, id, unit) => {
    const port = await freePort();
    const sim = startSim([sub, '--tcp', String(port), '--profile', id]);
    await sim.waitFor('ready');
    expect(sim.output()).toContain(unit);
    const r = reader(shipped(id), port);
    const points = await r.driver.read();
    expect(Object.keys(points).sort()).toEqual(Object.keys(shipped(id).points).sort());
  });
});
