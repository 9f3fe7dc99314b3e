import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStationConfig } from '../../config/load-station-config.js';
import { decodeRtuFrame, encodeRtuFrame } from '../../simulators/modbus/rtu-frame.js';
import { parseScenario } from '../../simulators/scenario/scenario.js';
import { startStationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openSerialPeer } from './serial-peer.js';

/* A whole station from its config file, through the library API, as tests and the demo use it. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function station(): Promise<{ dir: string; sim: Awaited<ReturnType<typeof startStationSimulator>> }> {
  const dir = tempDir('station-sim-');
  cleanups.push(() => dir.remove());
  const port = await freePort();
  const file = join(dir.path, 'station.yaml');
  // The shape of deploy/station.example.yaml: cabinet and dispenser on one RS-485 line.
  writeFileSync(
    file,
    `
station: { id: bench-0001 }
cloud: { url: mqtt://127.0.0.1:1883, protocolVersion: 4 }
storage: { path: data/gateway.db }
resources:
  main-door: { device: lock-1, door: 1 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 } }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-rtu, path: tty/rs485, baudRate: 9600, unitId: 1 } }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu, path: tty/rs485, baudRate: 9600, unitId: 2 } }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${port}, unitId: 3 } }
  - { id: pir-1, kind: occupancy, transport: { type: gpio, board: firmata, path: tty/firmata, pin: 7 } }
`,
  );
  const sim = await startStationSimulator(loadStationConfig(file, { checkFiles: false }), { seed: 1 });
  cleanups.push(() => sim.stop());
  return { dir: dir.path, sim };
}

describe('startStationSimulator', () => {
  it('simulates every device at the config\'s addresses; Modbus RTU devices on one path share one bus; GPIO is left out', async () => {
    const { dir, sim } = await station();
    expect(sim.devices.map((d) => d.id)).toEqual(['lock-1', 'cabinet-1', 'water-1', 'occupancy-1']);
    expect(sim.skipped).toEqual([{ id: 'pir-1', reason: 'GPIO devices are not simulated' }]);
    expect(sim.device('cabinet-1').address).toBe(`modbus-rtu ${join(dir, 'tty/rs485')} unit 1`);
    const peer = await openSerialPeer(join(dir, 'tty/rs485'));
    cleanups.push(() => peer.close());
    await peer.write(encodeRtuFrame(2, Buffer.from([3, 0, 20, 0, 1])));
    expect(decodeRtuFrame(await peer.take(7))).toEqual({ ok: true, unitId: 2, pdu: Buffer.from([3, 2, 0x03, 0xe8]) });
    await peer.write(encodeRtuFrame(1, Buffer.from([3, 0, 2, 0, 1])));
    expect(decodeRtuFrame(await peer.take(7))).toEqual({ ok: true, unitId: 1, pdu: Buffer.from([3, 2, 0, 8]) });
  });

  it('replays a scenario through the same command language', async () => {
    const { sim } = await station();
    const steps: string[] = [];
    const run = sim.play(
      parseScenario(`
- at: 0s
  do: cabinet-1 slot 4 temperature 62
- at: 300ms
  do: [water-1 leak on, occupancy-1 people 1, occupancy-1 person still]
- at: 400ms
  do: lock-1 door 1 open
`),
      { onStep: (o) => steps.push(`${o.command} -> ${o.ok}`) },
    );
    const outcomes = await run.done;
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(steps).toHaveLength(5);
    // `slot 4` is the door number: slots[3].
    expect((sim.device('cabinet-1').state()['slots'] as Array<{ slot: number; faults: string[] }>)[3]).toMatchObject({ slot: 4, faults: expect.arrayContaining(['overTemperature']) });
    expect(sim.device('water-1').state()).toMatchObject({ leak: true });
    expect(sim.device('occupancy-1').state()).toMatchObject({ people: 1, still: true });
    expect(sim.device('lock-1').state()).toMatchObject({ doors: [expect.objectContaining({ number: 1, door: 'open' }), expect.anything()] });
  });

  it('routes commands by device id and refuses an unknown one', async () => {
    const { sim } = await station();
    await expect(sim.command('nope-1 state')).rejects.toThrow(/no device "nope-1"/);
    await expect(sim.command('water-1 tank 30')).resolves.toBe('tank at 30 %');
    await expect(sim.command('lock-1 fault exception 4')).rejects.toThrow(/only Modbus/);
  });
});
